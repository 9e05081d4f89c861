"""The zoo entries of chapters 2-11 (supervised learning, from linear regression to residual
networks): each model with the task it is trained on, the book's hyperparameters and numbers."""
from __future__ import annotations

from .deep import DeepNetwork
from .heads import BinaryClassifier, GaussianRegression, MulticlassClassifier
from .linear_regression import LinearRegression, closed_form, least_squares_loss
from .mnist1d_cnn import MNIST1DCNN, MNIST1DFullyConnected
from .mnist1d_mlp import MNIST1DMLP
from .regularization import MNIST1DDropoutMLP, mnist1d_ensemble, train_ensemble
from .resnet import ResNet1D, train_resnet
from .shallow import ShallowNetwork
from .unet import UNet1d
from ..registry import REGRESSION_METRICS, ZooEntry
from ..tasks import QUASI_SINUSOID_NOISE, TASKS, true_gaussian_nll


# ---- extra result rows ------------------------------------------------------------------------------------


def _linear_regression_rows(model, history, split):
    x, y = split.train
    phi_star = closed_form(x, y)
    note = "our 12 points scatter around the book's line; the book's data are not printed"
    return [
        {"metric": "loss L after descent (eq. 2.5, sum)", "book": 0.19, "ours": least_squares_loss(model.phi, x, y),
         "note": note},
        {"metric": "closed-form minimum of L", "book": 0.19, "ours": least_squares_loss(phi_star, x, y), "note": note},
        {"metric": "phi_0 after descent", "book": 0.82, "ours": float(model.phi[0]),
         "note": f"closed form {phi_star[0]:.3f}"},
        {"metric": "phi_1 after descent", "book": 0.52, "ours": float(model.phi[1]),
         "note": f"closed form {phi_star[1]:.3f}"},
    ]


def _noise_floor_row(model, history, split):
    return [{"metric": "noise variance sigma^2 (lowest expected test MSE, eq. 8.3)", "book": None,
             "ours": QUASI_SINUSOID_NOISE ** 2, "note": "a perfect model's test MSE"}]


def _true_nll_row(model, history, split):
    return [{"metric": "test NLL of the true distribution", "book": None, "ours": true_gaussian_nll(*split.test),
             "note": "a perfect model's test NLL"}]


def _early_stopping_rows(model, history, split):
    info = history.info
    return [{"metric": "epoch of the kept checkpoint (lowest validation loss)", "book": None,
             "ours": info["best_epoch"], "note": f"stopped after {info['epochs_run']} of {info['epochs']} epochs"}]


def _ensemble_rows(model, history, split):
    errors = history.info["member_test_errors"]
    return [{"metric": "members' test errors (%)", "book": None, "ours": ", ".join(f"{e:.1f}" for e in errors),
             "note": f"mean {sum(errors) / len(errors):.1f}"}]


def _resnet_rows(model, history, split):
    return [{"metric": "test error with running-average BN statistics (%)", "book": None,
             "ours": history.info["running_average_test_error"],
             "note": "the main row uses whole-training-set statistics (section 11.4)"}]


# ---- the catalogue ----------------------------------------------------------------------------------------

FIG_8_2 = {"optimizer": "sgd", "lr": 0.1, "momentum": 0.0, "batch_size": 100, "steps": 6000}
FIG_8_2_SOURCE = ("book, section 8.1: SGD, lr 0.1, batch 100, 6,000 steps, cross-entropy; the loss is a mean "
                  "over the batch (the companion notebooks' CrossEntropyLoss; eq. 5.24's sum with lr 0.1 diverges)")
BASELINE_NOTE = "book prints none; the unregularised fig. 8.2 network: ~40 %"
FIG_10_8 = {"optimizer": "sgd", "lr": 0.01, "momentum": 0.0, "batch_size": 100, "steps": 100_000, "eval_every": 25}
FIG_10_8_SOURCE = "book, section 10.2.7: SGD without momentum, lr 0.01, batch 100, 100,000 steps"
SILENT = "ours: the book prints no experiment for this model"


def entries() -> list:
    """The entries of chapters 2-11, in book order."""
    return [
        ZooEntry("linear-regression", "2.2, figs. 2.2-2.4", "1-D linear regression by gradient descent (eq. 2.4)",
                 LinearRegression, TASKS["linear-1d"],
                 {"optimizer": "sgd", "lr": 0.1, "batch_size": 12, "steps": 300},
                 "ours: the book does not print its descent settings (fig. 2.4); full-batch gradient descent",
                 metrics=("parameters",), extra_rows=_linear_regression_rows, book={"parameters": 2}),
        ZooEntry("shallow", "3.1-3.4, eqs. 3.1-3.12", "shallow ReLU network 1-16-1 fitted to fig. 8.3's data",
                 ShallowNetwork, TASKS["quasi-sinusoid"],
                 {"optimizer": "adam", "lr": 0.01, "batch_size": 20, "epochs": 300, "eval_every": 10},
                 SILENT, model_kwargs={"hidden": 16}, tiny={"hidden": 3}, metrics=REGRESSION_METRICS,
                 extra_rows=_noise_floor_row),
        ZooEntry("deep", "4.4-4.5, eq. 4.15, fig. 4.7a", "deep ReLU network, K = 5 layers of D = 10 (471 parameters)",
                 DeepNetwork, TASKS["quasi-sinusoid"],
                 {"optimizer": "adam", "lr": 0.01, "batch_size": 20, "epochs": 300, "eval_every": 10},
                 SILENT, model_kwargs={"in_features": 1, "widths": [10] * 5, "out_features": 1},
                 tiny={"in_features": 1, "widths": [3, 3], "out_features": 1}, metrics=REGRESSION_METRICS,
                 book={"parameters": 471}, extra_rows=_noise_floor_row),
        ZooEntry("gaussian-regression", "5.3, eqs. 5.14-5.15",
                 "heteroscedastic regression: the network predicts mu and sigma^2",
                 GaussianRegression, TASKS["heteroscedastic"],
                 {"optimizer": "adam", "lr": 0.001, "batch_size": 100, "epochs": 300, "eval_every": 10},
                 SILENT + " (Adam, lr 1e-3: larger steps make the NLL spike when f_2 crosses 0, where sigma^2 = f_2^2 "
                 "vanishes)", tiny={"widths": (4,)}, metrics=REGRESSION_METRICS, extra_rows=_true_nll_row),
        ZooEntry("binary-classifier", "5.4, eqs. 5.17-5.20", "sigmoid + binary cross-entropy on two moons",
                 BinaryClassifier, TASKS["moons"],
                 {"optimizer": "adam", "lr": 0.01, "batch_size": 20, "epochs": 100, "eval_every": 5},
                 SILENT, tiny={"widths": (4,)}),
        ZooEntry("multiclass-classifier", "5.5, eqs. 5.21-5.24", "softmax + cross-entropy on three spirals",
                 MulticlassClassifier, TASKS["spirals"],
                 {"optimizer": "adam", "lr": 0.01, "batch_size": 30, "epochs": 300, "eval_every": 10},
                 SILENT, tiny={"widths": (4,)}),
        ZooEntry("mnist1d-mlp", "8.1, figs. 8.1-8.2", "MNIST-1D, fully connected 40-100-100-10",
                 MNIST1DMLP, TASKS["mnist1d"], FIG_8_2, FIG_8_2_SOURCE,
                 book={"test_error": 40.0, "train_error": 0.0, "zero_train_error_step": 4000,
                       "min_test_loss_step": 1500, "parameters": 15_210},
                 notes={"test_error": "book: 'does not drop below ~40 %'",
                        "zero_train_error_step": "book: 'after about 4000 steps'",
                        "min_test_loss_step": "book: 'decreases for the first 1500 training steps'"},
                 tiny={"widths": (5, 4)},
                 metrics=("test_error", "train_error", "zero_train_error_step", "min_test_loss_step", "parameters")),
        ZooEntry("mnist1d-l2", "9.1, eq. 9.5", "fig. 8.2's network + L2 penalty on the weights",
                 MNIST1DMLP, TASKS["mnist1d"], {**FIG_8_2, "l2": 1e-3},
                 FIG_8_2_SOURCE + "; lambda = 1e-3 is ours", notes={"test_error": BASELINE_NOTE},
                 tiny={"widths": (5, 4)}),
        ZooEntry("mnist1d-early-stopping", "9.3.1, fig. 9.6", "fig. 8.2's network, stopped on a validation set",
                 MNIST1DMLP, TASKS["mnist1d"],
                 {**FIG_8_2, "early_stopping": {"patience": 10, "val_fraction": 0.1}},
                 FIG_8_2_SOURCE + "; 10 % held out, patience 10 epochs (ours)", notes={"test_error": BASELINE_NOTE},
                 tiny={"widths": (5, 4)}, extra_rows=_early_stopping_rows),
        ZooEntry("mnist1d-dropout", "9.3.3", "fig. 8.2's network with dropout after each hidden layer",
                 MNIST1DDropoutMLP, TASKS["mnist1d"], FIG_8_2, FIG_8_2_SOURCE + "; p = 0.5 (the book's typical value)",
                 notes={"test_error": BASELINE_NOTE}, tiny={"widths": (5, 4)}),
        ZooEntry("mnist1d-augment", "9.3.8", "fig. 8.2's network trained on shifted, rescaled, noisy copies",
                 MNIST1DMLP, TASKS["mnist1d"],
                 {**FIG_8_2, "augment": {"max_shift": 3, "scale": 0.2, "noise_std": 0.1}},
                 FIG_8_2_SOURCE + "; augmentation strengths are ours", notes={"test_error": BASELINE_NOTE},
                 tiny={"widths": (5, 4)}),
        ZooEntry("mnist1d-ensemble", "9.3.2", "mean logits of 5 fig. 8.2 networks from different initialisations",
                 mnist1d_ensemble, TASKS["mnist1d"], {**FIG_8_2, "bagging": False},
                 FIG_8_2_SOURCE + "; 5 members from different random initialisations (ours; 'bagging': True "
                 "resamples the data instead, which measured worse here)", notes={"test_error": BASELINE_NOTE},
                 model_kwargs={"members": 5}, tiny={"members": 2, "widths": (5, 4)}, trainer=train_ensemble,
                 extra_rows=_ensemble_rows),
        ZooEntry("mnist1d-cnn", "10.2.7, figs. 10.7-10.8", "MNIST-1D CNN: 3 conv layers (15 channels, K=3, S=2) + FC",
                 MNIST1DCNN, TASKS["mnist1d"], FIG_10_8, FIG_10_8_SOURCE,
                 book={"test_error": 17.0, "train_error": 0.0, "parameters": 2050},
                 notes={"test_error": "book: '~17% test error'"}, tiny={"channels": 2}),
        ZooEntry("mnist1d-fc", "10.2.7, fig. 10.8b", "fully connected baseline 40-285-135-60-10",
                 MNIST1DFullyConnected, TASKS["mnist1d"], FIG_10_8, FIG_10_8_SOURCE,
                 book={"test_error": 40.0, "train_error": 0.0, "parameters": 59_065},
                 notes={"test_error": "book: '~40% test error'",
                        "parameters": "the draft prints 150,185, a misprint: the layer sizes give 59,065 (docs/conventions.md)"},
                 tiny={"widths": (6, 5, 4)}),
        ZooEntry("resnet1d", "11.2-11.4, figs. 11.5-11.7",
                 "residual network with batch norm (eqs. 11.4, 11.7-11.9), 3 blocks of 16 channels, MNIST-1D",
                 ResNet1D, TASKS["mnist1d"],
                 {"optimizer": "adam", "lr": 0.003, "batch_size": 100, "steps": 1500, "eval_every": 5},
                 SILENT + " (Adam, lr 3e-3, batch 100, 1,500 steps)", model_kwargs={"channels": 16, "blocks": 3},
                 tiny={"channels": 2, "blocks": 1}, trainer=train_resnet, extra_rows=_resnet_rows),
        ZooEntry("unet1d", "11.5.3, fig. 11.10", "small 1-D U-Net segmenting pulses (8-16-32 channels)",
                 UNet1d, TASKS["pulses"],
                 {"optimizer": "adam", "lr": 0.003, "batch_size": 50, "epochs": 40, "eval_every": 2},
                 SILENT + " (Adam, lr 3e-3, batch 50, 40 epochs)", tiny={"channels": (2, 3)},
                 notes={"test_error": "per-sample segmentation error"}),
    ]


