"""The result rows of the diffusion entries: ours beside a reference computed independently of the
model (in the `book` column, named in the note: the book prints no numbers for these experiments).

- ε-prediction error on the test data (t ~ U{1..T}, and t = 1, T/4, T/2, 3T/4, T) beside the
  Bayes-optimal error: exact integrals on a grid for the 1-D mixture, the Bayes-optimal predictor
  on the same test draws for the 2-D densities, the best linear predictor on the same draws for the
  digits (`references`).
- Samples of Algorithm 18.2 against the data: moments and quantiles (1-D, exact), total variation
  on bins against a sample of the data itself (the sampling-noise floor), the exact output
  distribution of the sampler in 1-D with our g and with the Bayes-optimal one, the same sampler
  with the Bayes-optimal g on the ring; mode coverage (`metrics.generative`); for the digits,
  chapter 14's Fréchet distance and Inception score on the features of a digits classifier.

Every function is an entry's `extra_rows(model, history, split)`; samples are drawn with the run's
seed (`history.info["seed"]`).
"""
from __future__ import annotations

import numpy as np

from ....metrics import fid, inception_score, mode_coverage, perfect_quality_fraction
from .comparison import bin_masses, histogram, mixture_quantiles, sampler_bin_masses_1d, total_variation
from .data import DENSITIES
from .model import ancestral_sampling
from .references import (bayes_denoiser, bayes_loss_grid, bayes_noise_mse_grid, linear_denoiser, noise_mse_grid)
from .training import noise_mse

__all__ = ["report_steps", "mixture_1d_rows", "density_2d_rows", "digits_rows", "BINS_1D", "GRID_1D", "SAMPLES_1D"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BINS_1D = np.arange(-4.0, 4.0 + 1e-9, 0.1)   # bins of width 0.1 (and two tails to ±∞)
GRID_1D = np.linspace(-6.0, 6.0, 601)        # z-grid of the exact sampler output (TV converged to ~1e-3)
SAMPLES_1D = 20_000
BAYES_EXACT = "ref: Bayes-optimal E[Var(eps | z_t)]"
BAYES_PAIRED = "ref: the Bayes-optimal E[eps | z_t] (exact posterior) on the same test draws"
LOSS = "test eps-MSE, t ~ U{1..T} (eq. 18.39)"


def report_steps(steps):
    """t = 1, T/4, T/2, 3T/4, T (the steps whose ε-prediction error is reported)."""
    return sorted({1, steps // 4, steps // 2, 3 * steps // 4, steps} - {0})


def _seed(history):
    return history.info.get("seed", 0)


def _data_sample(density, n, history):
    """`n` fresh draws of the data (the sampling-noise reference), from a seed apart from the model's."""
    return density.sample(n, np.random.default_rng([_seed(history), 1]))


def _paired_rows(model, history, x_test, reference, note):
    """The loss and the five per-step errors of the model beside those of the predictor `reference`,
    both on the test data's fixed evaluation draws."""
    schedule = model.schedule
    rows = [{"metric": LOSS, "book": noise_mse(reference, schedule, x_test), "ours": history.final["test_loss"],
             "note": note}]
    for t in report_steps(schedule.steps):
        rows.append({"metric": f"test eps-MSE at t={t}", "book": noise_mse(reference, schedule, x_test, t),
                     "ours": noise_mse(model.predict_noise, schedule, x_test, t), "note": note})
    return rows


# ---- the 1-D mixture (figs. 18.4-18.8) -------------------------------------------------------------------


def mixture_1d_rows(model, history, split):
    """ε-errors against the exact floor, sample moments and quantiles, and total variations."""
    mixture, schedule = DENSITIES["mixture-1d"](), model.schedule
    x_test = split.test[0]
    rows = [{"metric": LOSS, "book": bayes_loss_grid(mixture, schedule), "ours": history.final["test_loss"],
             "note": BAYES_EXACT + " averaged over t (exact, grid)"}]
    for t in report_steps(schedule.steps):
        alpha = schedule.alphas[t]
        expected = noise_mse_grid(lambda z: model.predict_noise(z, t), mixture, alpha)
        rows.append({"metric": f"test eps-MSE at t={t}", "book": bayes_noise_mse_grid(mixture, alpha),
                     "ours": noise_mse(model.predict_noise, schedule, x_test, t),
                     "note": f"{BAYES_EXACT} (exact, grid); ours in expectation over q(z_t) (grid): {expected:.4f}"})
    samples = model.sample(SAMPLES_1D, _seed(history))[:, 0]
    exact = "ref: the data density (exact)"
    rows += [{"metric": f"sample mean ({SAMPLES_1D:,} samples, Algorithm 18.2)", "book": 0.0,
              "ours": float(samples.mean()), "note": exact},
             {"metric": "sample variance", "book": 1.0, "ours": float(samples.var()), "note": exact}]
    for q, reference, ours in zip(QUANTILES, mixture_quantiles(mixture, QUANTILES), np.quantile(samples, QUANTILES)):
        rows.append({"metric": f"sample {q:.0%} quantile", "book": float(reference), "ours": float(ours),
                     "note": exact})
    masses = bin_masses(mixture, BINS_1D)
    rows.append({"metric": "total variation: histogram of the samples vs data (bins 0.1)",
                 "book": total_variation(masses, histogram(_data_sample(mixture, SAMPLES_1D, history), BINS_1D)),
                 "ours": total_variation(masses, histogram(samples[:, None], BINS_1D)),
                 "note": f"ref: {SAMPLES_1D:,} draws of the data itself (sampling noise only)"})
    ours_exact, bayes_exact = (sampler_bin_masses_1d(predict, schedule, model.sigma, BINS_1D, GRID_1D)
                               for predict in (model.predict_noise, bayes_denoiser(mixture, schedule)))
    rows.append({"metric": "total variation: exact output of Algorithm 18.2 vs data (bins 0.1)",
                 "book": total_variation(masses, bayes_exact), "ours": total_variation(masses, ours_exact),
                 "note": "both propagated on a grid, no sampling noise; ref: the Bayes-optimal g with the same T, "
                         "beta_t and sigma_t (the error of the Gaussian reverse steps alone)"})
    return rows


# ---- the 2-D densities -------------------------------------------------------------------------------------


def _bins_2d(x, width=0.2):
    low, high = np.floor(x.min(axis=0) / width) * width, np.ceil(x.max(axis=0) / width) * width
    return [np.arange(lo, hi + width / 2, width) for lo, hi in zip(low, high)]


def density_2d_rows(name):
    """The `extra_rows` of the 2-D density `name` ("ring" or "moons")."""

    def rows(model, history, split):
        mixture, schedule = DENSITIES[name](), model.schedule
        x_test = split.test[0]
        bayes = bayes_denoiser(mixture, schedule)
        result = _paired_rows(model, history, x_test, bayes, BAYES_PAIRED)
        n = len(x_test)
        samples = model.sample(n, _seed(history))
        data_sample = _data_sample(mixture, n, history)
        edges = _bins_2d(x_test)
        masses = bin_masses(mixture, edges)
        result.append({"metric": f"total variation: 2-D histogram of {n:,} samples vs data (bins 0.2)",
                       "book": total_variation(masses, histogram(data_sample, edges)),
                       "ours": total_variation(masses, histogram(samples, edges)),
                       "note": f"ref: {n:,} draws of the data itself (sampling noise only)"})
        std = float(np.sqrt(mixture.covariances[0, 0, 0]))
        coverage = mode_coverage(samples, mixture.means, std)
        if name == "ring":
            # 8 components: Algorithm 18.2 with the exact E[eps | z_t] is cheap, and separates the error
            # of the Gaussian reverse steps from that of the network
            bayes_samples = ancestral_sampling(bayes, schedule, (2,), n, _seed(history), model.sigma)
            result += [{"metric": "modes covered (of 8)", "book": len(mixture.means), "ours": coverage.modes,
                        "note": "a mode is covered by >= 1/4 of its fair share of samples within 3 s.d."},
                       {"metric": "share of samples within 3 s.d. of a mode", "book": perfect_quality_fraction(),
                        "ours": coverage.quality, "note": "ref: P(chi^2_2 <= 9), exact; Algorithm 18.2 with the "
                        f"Bayes-optimal g: {mode_coverage(bayes_samples, mixture.means, std).quality:.4f}"}]
        else:
            result.append({"metric": "share of samples within 3 s.d. of the curves", "book":
                           mode_coverage(data_sample, mixture.means, std).quality, "ours": coverage.quality,
                           "note": "ref: the same share for draws of the data"})
        return result

    return rows


# ---- the 8x8 digits ----------------------------------------------------------------------------------------


def digits_rows(model, history, split):
    """ε-errors against the best linear denoiser, and chapter 14's measures of the samples."""
    from ..gans.digits_features import class_probabilities, features, trained_digits_classifier

    x_train, x_test = split.train[0], split.test[0]
    rows = _paired_rows(model, history, x_test, linear_denoiser(x_train, model.schedule),
                        "ref: the best linear (Wiener) denoiser of the training data's mean and covariance, "
                        "on the same test draws")
    n = len(x_test)
    samples = np.clip(model.sample(n, _seed(history)), -1.0, 1.0)
    held_out = x_train[np.random.default_rng(_seed(history)).choice(len(x_train), n, replace=False)]
    classifier = trained_digits_classifier()
    real = features(classifier, x_test)
    rows += [{"metric": f"FID of {n} samples vs the test digits (classifier features)",
              "book": fid(real, features(classifier, held_out)), "ours": fid(real, features(classifier, samples)),
              "note": f"ref: {n} training digits (what a perfect generator gets)"},
             {"metric": "Inception score of the samples (eq. 14.2; at most 10)",
              "book": inception_score(class_probabilities(classifier, x_test)),
              "ours": inception_score(class_probabilities(classifier, samples)), "note": "ref: the test digits"}]
    return rows
