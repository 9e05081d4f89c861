"""Chapter 17: variational autoencoders (docs/vae.md).

`MLPVAE` (fig. 17.9, Bernoulli or Gaussian decoder) and `LinearVAE` (probabilistic PCA, whose
log-likelihood is known in closed form) share `VariationalAutoencoder`: the ELBO with the
reparameterisation trick (eqs. 17.18-17.25), its reconstruction and KL terms, the
importance-weighted bound, sampling and reconstruction. `train_vae` is the zoo's trainer;
`ppca_fit`, `collapse_prediction` the closed-form references.
"""
from .linear import LinearVAE, collapse_prediction, gaussian_log_pdf, ppca_fit, ppca_log_likelihood, sample_ppca
from .model import MLPVAE, VariationalAutoencoder
from .training import evaluate_vae, train_vae

__all__ = ["VariationalAutoencoder", "MLPVAE", "LinearVAE", "sample_ppca", "ppca_fit", "ppca_log_likelihood",
           "gaussian_log_pdf", "collapse_prediction", "evaluate_vae", "train_vae"]
