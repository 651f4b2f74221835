"""Measurement tools for GANvas models: image metrics, FID/KID, and two judge networks.

- metrics: L1, PSNR, SSIM, colour shift, segmentation scores (FCN-score), sketch edge F1, sample diversity.
- fid / inception: FID and KID on the FID Inception's pool3 features (weights via $GANVAS_INCEPTION).
- segmenter: a compact U-Net for label->photo models (segment generated photos, compare with the labels).
- judge: a domain classifier for unpaired translation (how often A->B output is called B).
- nets: the segmenter and judge networks; fitting: the loop that trains either; netio: their folders
  in the engine's model format.
"""
from .fid import INCEPTION_ENV, fid_from_features, fid_kid, frechet_distance, inception_or_none, kid_from_features, kid_subset_estimates
from .inception import InceptionFeatures, inception_features, load_inception
from .judge import judge_accuracy, judge_probabilities, train_judge
from .metrics import (
    PSNR_CAP_DB,
    centre_and_border_l1,
    colour_shift,
    confusion_matrix,
    edge_f1,
    l1,
    mean_pairwise_l1,
    pairwise_l1_map,
    psnr,
    scores_from_confusion,
    segmentation_scores,
    ssim,
)
from .netio import load_config, load_net, save_net
from .nets import DomainJudge, SegmenterNet
from .segmenter import evaluate_segmenter, predict_labels, train_segmenter

__all__ = [
    "INCEPTION_ENV",
    "PSNR_CAP_DB",
    "DomainJudge",
    "InceptionFeatures",
    "SegmenterNet",
    "centre_and_border_l1",
    "colour_shift",
    "confusion_matrix",
    "edge_f1",
    "evaluate_segmenter",
    "fid_from_features",
    "fid_kid",
    "frechet_distance",
    "inception_features",
    "inception_or_none",
    "judge_accuracy",
    "judge_probabilities",
    "kid_from_features",
    "kid_subset_estimates",
    "l1",
    "load_config",
    "load_inception",
    "load_net",
    "mean_pairwise_l1",
    "pairwise_l1_map",
    "psnr",
    "save_net",
    "scores_from_confusion",
    "segmentation_scores",
    "ssim",
    "train_judge",
    "train_segmenter",
]
