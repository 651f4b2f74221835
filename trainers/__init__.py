"""GANvas training and evaluation."""
