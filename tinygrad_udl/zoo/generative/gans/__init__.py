"""Generative adversarial networks (chapter 15): the two-player game, its losses, the models of the
zoo and the exact references they are compared with.

    adversarial   GAN (eqs. 15.3-15.5), WGAN (eq. 15.16, weight clipping), WGANGP (gradient penalty)
    losses        the per-example objectives, the gradient penalty (second order), weight clipping
    toy1d         fig. 15.1's 1-D game and its exact equilibrium (eq. 15.7, log 4)
    ring          mode dropping on a ring of 8 Gaussians; WGAN and WGAN-GP on the same data
    wgan1d        a critic alone against the exact Wasserstein-1 distance
    wasserstein   exact W1: the linear programs of eqs. 15.10-15.13, quantile functions, samples
    dcgan         the DCGAN of fig. 15.3 for 8x8 digits, judged by `digits_quality`
    training      alternating updates of the two players (section 15.1.2)
"""
from .adversarial import GAN, WGAN, WGANGP, AdversarialPair
from .dcgan import DCGAN, DCGANDiscriminator, DCGANGenerator
from .digits_features import DigitsClassifier, trained_digits_classifier
from .losses import clip_weights_, critic_terms, discriminator_terms, generator_loss, gradient_penalty_terms
from .ring import RingGAN, RingWGAN, RingWGANGP
from .toy1d import GAN1D, ShiftGenerator, optimal_discriminator
from .training import train_adversarial
from .wasserstein import discrete_wasserstein, mixture_wasserstein_1d, sample_wasserstein_1d
from .wgan1d import WassersteinCritic1D

__all__ = ["AdversarialPair", "GAN", "WGAN", "WGANGP", "GAN1D", "ShiftGenerator", "optimal_discriminator",
           "RingGAN", "RingWGAN", "RingWGANGP", "WassersteinCritic1D", "DCGAN", "DCGANGenerator",
           "DCGANDiscriminator", "DigitsClassifier", "trained_digits_classifier", "discriminator_terms",
           "generator_loss", "critic_terms", "gradient_penalty_terms", "clip_weights_", "train_adversarial",
           "discrete_wasserstein", "sample_wasserstein_1d", "mixture_wasserstein_1d"]
