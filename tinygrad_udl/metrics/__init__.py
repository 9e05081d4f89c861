"""Measures of generated samples (chapter 14): how good and how varied they are, without a likelihood.

    from tinygrad_udl.metrics import inception_score, frechet_distance, fid, precision_recall

Everything is numpy: these numbers judge samples, they are never differentiated.
"""
from .generative import (Coverage, GaussianFit, PrecisionRecall, fid, fit_gaussian, frechet_distance,
                         inception_score, kth_neighbour_radii, mode_coverage, perfect_quality_fraction,
                         precision_recall, psd_sqrt)

__all__ = ["inception_score", "frechet_distance", "fid", "fit_gaussian", "GaussianFit", "psd_sqrt",
           "precision_recall", "PrecisionRecall", "kth_neighbour_radii", "mode_coverage", "Coverage",
           "perfect_quality_fraction"]
