"""Chapter 20: random labels (fig. 20.2), loss along lines (fig. 20.5), subspace training (fig. 20.6),
Hessian spectra (figs. 20.8-20.9), adversarial examples (fig. 20.14) and lottery tickets (fig. 20.15)."""
from __future__ import annotations

import functools
import math

import numpy as np

from ...sweep.core import Sweep
from ..common import (mlp, mlp_parameters, mnist1d_split, parameter_vector, randomize_labels,
                      set_parameter_vector, train_classifier)

# The network and training of fig. 8.2 (section 8.1): 40-100-100-10, SGD lr 0.1, batch 100, on the
# 4,000 / 1,000 MNIST-1D split. Several chapter-20 experiments start from it.
FIG82 = {"width": 100, "lr": 0.1, "batch_size": 100, "steps": 6000}


def _row(name, metric, book, ours, note=None):
    return {"model": name, "metric": metric, "book": book, "ours": ours, "note": note}


def _fig82_data():
    return mnist1d_split(4000, 1000)


@functools.lru_cache(maxsize=8)
def trained_fig82(width, steps, seed, lr=0.1, batch_size=100):
    """(φ₀, φ_T, final row) of a 40-width-width-10 network trained as in fig. 8.2 from seed `seed`:
    a pure function of its arguments, cached per process (several runs of a sweep share it)."""
    from ...optim import SGD

    train, test = _fig82_data()
    model = mlp([width, width], seed)
    phi0 = parameter_vector(model)
    _, final = train_classifier(model, SGD(model.parameters(), lr=lr), train, test, steps=steps,
                                batch_size=batch_size, rng=seed)
    return phi0, parameter_vector(model), final


def _model_at(width, vector, seed=0):
    model = mlp([width, width], seed)
    set_parameter_vector(model, vector)
    return model


# ---- fig. 20.2: random labels ---------------------------------------------------------------------------------

RANDOM_LABEL_WIDTHS = {1: 298, 2: 100, 3: 75, 4: 63}   # fig. 20.2: about 15,200 parameters each
RANDOM_LABEL_PARAMETERS_BOOK = {1: 15208, 2: 15210, 3: 15235, 4: 15139}  # 15,139 is a misprint of 15,319


def random_labels_run(layers, n_train, steps, lr, seed, check_every=50, reduction="mean"):
    """Fig. 20.2: `layers` hidden layers of RANDOM_LABEL_WIDTHS[layers] units fitted to `n_train`
    MNIST-1D examples whose labels are all random, by full-batch gradient descent (He initialisation,
    no momentum, no regularisation, constant `lr`). The loss is the mean cross-entropy
    (`reduction="sum"`: the book's sum of eq. 5.24, which multiplies the step by n_train: at the
    book's lr 0.0025 it diverges for 3-4 layers already with 1,000 examples, so the book's learning
    rates are for means, as fig. 8.2's). Returns the training curve (every `check_every` steps) and
    the first step with training error 0."""
    from ...nn.loss import cross_entropy
    from ...optim import SGD

    train, test = mnist1d_split(n_train, 1000)
    train = (train[0], randomize_labels(train[1], 1.0, rng=2020))
    widths = [RANDOM_LABEL_WIDTHS[layers]] * layers
    model = mlp(widths, seed)
    curve, final = train_classifier(model, SGD(model.parameters(), lr=lr), train, test, steps=steps,
                                    batch_size=n_train, rng=seed, check_every=check_every,
                                    stop_when_memorised=True,
                                    loss_fn=lambda out, y: cross_entropy(out, y, reduction=reduction))
    return {"parameters": mlp_parameters(widths), "width": widths[0], "memorised_step": final["memorised_step"],
            "steps_run": final["step"], "train_error": final["train_error"], "train_loss": final["train_loss"],
            "curve_step": [r["step"] for r in curve], "curve_train_error": [r["train_error"] for r in curve]}


def random_labels_summary(result):
    name = result.sweep.name
    rows = []
    steps = {}
    for layers in sorted(result.distinct("layers")):
        params = result.values("parameters", layers=layers)[0]
        rows.append(_row(name, f"{layers} hidden layer(s) of {RANDOM_LABEL_WIDTHS[layers]}: parameters",
                         RANDOM_LABEL_PARAMETERS_BOOK[layers], params,
                         "the book's 15,139 is a misprint of 15,319" if layers == 4 else None))
        memorised = result.values("memorised_step", layers=layers)
        runs = len(result.results(layers=layers))
        steps[layers] = _mean(memorised) if len(memorised) == runs else None
        cap = result.distinct("steps", layers=layers)[0]
        rows.append(_row(name, f"{layers} hidden layer(s): steps (= epochs) to training error 0", "reaches 0",
                         f"{steps[layers]:,.0f}" if steps[layers] is not None else f"not within {cap:,}",
                         f"{len(memorised)} of {runs} seeds reached 0"))
    known = [steps[k] for k in sorted(steps) if steps[k] is not None]
    if len(known) == len(steps) and len(known) > 1:
        rows.append(_row(name, "deeper models need fewer epochs", "yes",
                         "yes" if all(a >= b for a, b in zip(known, known[1:])) else "no",
                         " > ".join(f"{s:,.0f}" for s in known)))
    return rows


def _mean(values):
    return sum(values) / len(values) if values else None


def random_labels_plot(result, path):
    from ...plotting import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for layers in sorted(result.distinct("layers")):
        for i, (_, r) in enumerate(result.results(layers=layers)):
            ax.plot(r["curve_step"], r["curve_train_error"], color=f"C{layers - 1}",
                    label=f"{layers} layer(s) x {r['width']}" if i == 0 else None)
    ax.set_xlabel("step (full batch: epoch)")
    ax.set_ylabel("training error (%)")
    ax.set_title("fig. 20.2: MNIST-1D with random labels, full-batch GD")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


RANDOM_LABELS = Sweep(
    "random-labels", function=random_labels_run, section="20.2.3, fig. 20.2",
    description="networks of 1-4 hidden layers (~15,200 parameters) fitted to MNIST-1D with random labels by "
                "full-batch gradient descent",
    grid={"layers": [1, 2, 3, 4], "n_train": 1000, "steps": 4000, "lr": 0.2},
    seeds=(0, 1),
    full_grid={"layers": [1, 2, 3, 4], "n_train": 4000, "steps": 200000, "lr": 0.0025, "check_every": 500},
    full_seeds=(0, 1),
    reduced="1,000 examples with random labels and lr 0.2 (the book: 4,000 and lr 0.0025, which takes about 80 "
            "times as many steps: --full, up to 200,000 steps), full-batch GD on the mean cross-entropy, training "
            "error checked every 50 steps, 2 seeds.",
    summarize=random_labels_summary, plot=random_labels_plot)

# ---- fig. 20.5: the loss along straight lines ----------------------------------------------------------------


def loss_lines_run(width, steps, seed, points=21):
    """Fig. 20.5: the training loss along φ(δ) = (1 − δ)φ₀ + δφ₁ (δ from 0 to 1), (a) from the
    initialisation φ₀ to the solution φ₁ of fig. 8.2's training from `seed`, and (b) between that
    solution and a second one trained from seed + 1000 (another initialisation and batch order)."""
    from ..landscape import barrier, largest_rise, loss_along_line

    train, _ = _fig82_data()
    init_a, final_a, row_a = trained_fig82(width, steps, seed)
    _, final_b, row_b = trained_fig82(width, steps, seed + 1000)
    model = mlp([width, width], seed)
    deltas = np.linspace(0.0, 1.0, points)
    a = loss_along_line(model, init_a, final_a, train, deltas)
    b = loss_along_line(model, final_a, final_b, train, deltas)
    return {"delta": a["delta"], "init_to_solution": a["loss"], "between_solutions": b["loss"],
            "between_solutions_error": b["error"], "init_largest_rise": largest_rise(a["loss"]),
            "init_start_loss": a["loss"][0], "solution_loss": a["loss"][-1],
            "barrier": barrier(b["loss"]), "barrier_error": barrier(b["error"]),
            "test_error_a": row_a["test_error"], "test_error_b": row_b["test_error"]}


def loss_lines_summary(result):
    name = result.sweep.name
    rises = result.values("init_largest_rise")
    barriers = result.values("barrier")
    ends = [(r["init_start_loss"], r["solution_loss"]) for _, r in result.results()]
    return [
        _row(name, "init -> solution: training loss along the line", "descends monotonically (maybe a small bump "
             "near the start)", "monotone" if max(rises) < 1e-3 else f"largest rise {max(rises):.3g}",
             f"from {ends[0][0]:.3f} to {ends[0][1]:.4f}"),
        _row(name, "solution -> solution: barrier in training loss", "a significant increase",
             f"{_mean(barriers):.3g}", f"seeds: {', '.join(f'{b:.3g}' for b in barriers)}; "
             f"training error barrier {_mean(result.values('barrier_error')):.1f} points"),
    ]


def loss_lines_plot(result, path):
    from ...plotting import pyplot, save_figure

    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for i, (params, r) in enumerate(result.results()):
        ax.plot(r["delta"], r["init_to_solution"], color=f"C{i}", label=f"seed {params['seed']}")
        ax2.plot(r["delta"], r["between_solutions"], color=f"C{i}", label=f"seeds {params['seed']} / "
                                                                          f"{params['seed'] + 1000}")
    ax.set_title("fig. 20.5a: initialisation (δ=0) to solution (δ=1)")
    ax2.set_title("fig. 20.5b: solution (δ=0) to another solution (δ=1)")
    for a in (ax, ax2):
        a.set_xlabel("δ")
        a.set_ylabel("training loss")
        a.legend(fontsize=8)
    return save_figure(fig, path)


LOSS_LINES = Sweep(
    "loss-lines", function=loss_lines_run, section="20.3.2-20.3.3, fig. 20.5",
    description="training loss of fig. 8.2's MNIST-1D network along straight lines: initialisation to solution, "
                "and between two solutions",
    grid={"width": 100, "steps": 6000}, seeds=(0, 1),
    full_grid={"width": [50, 100, 200], "steps": 6000}, full_seeds=(0, 1, 2, 3),
    reduced="fig. 8.2's network and training (the book's fig. 20.5 shows MNIST with a ReLU and a MaxOut network; "
            "both parts use the ReLU network here), 21 points per line, 2 seeds.",
    summarize=loss_lines_summary, plot=loss_lines_plot)

# ---- figs. 20.8-20.9: Hessian spectra by Lanczos -------------------------------------------------------------


def hessian_run(kind, width, n_data, seed, step=None, radius2=None, lanczos_steps=30, probes=3, subspace=20):
    """Figs. 20.8-20.9 on the MNIST-1D network of fig. 8.2 (40-width-width-10), Hessian of the mean
    training loss over the first `n_data` training examples, by Hessian-vector products only.

    kind "training": after `step` steps of fig. 8.2's training, the 3 largest and 3 smallest
        eigenvalues (Lanczos, `lanczos_steps` products) and the fraction of negative eigenvalues
        (stochastic Lanczos quadrature, `probes` probes; below −10⁻³·λ_max counts as negative).
    kind "radius": the initial parameters scaled so that ‖φ‖² is `radius2` times that of the He
        initialisation; the fraction of positive eigenvalues of the Hessian restricted to a random
        `subspace`-dimensional subspace (fig. 20.9's Goldilocks zone)."""
    from ..hessian import extreme_eigenvalues, loss_hvp, negative_fraction, random_subspace_hessian, spectral_density

    train, _ = _fig82_data()
    x, y = train[0][:n_data], train[1][:n_data]
    if kind == "training":
        vector = trained_fig82(width, step, seed)[1] if step else parameter_vector(mlp([width, width], seed))
        hvp = loss_hvp(_model_at(width, vector), x, y)
        top, bottom = extreme_eigenvalues(hvp, hvp.dim, k=3, steps=lanczos_steps, rng=seed)
        nodes, weights = spectral_density(hvp, hvp.dim, steps=lanczos_steps, probes=probes, rng=seed + 1)
        return {"loss": hvp.loss, "top": top.tolist(), "bottom": bottom.tolist(), "lambda_max": float(top[0]),
                "lambda_min": float(bottom[0]), "negative_fraction": negative_fraction(nodes, weights, 1e-3 * top[0]),
                "hvp_calls": hvp.calls, "parameters": hvp.dim}
    if kind == "radius":
        phi0 = parameter_vector(mlp([width, width], seed))
        hvp = loss_hvp(_model_at(width, phi0 * math.sqrt(radius2)), x, y)
        eig = np.linalg.eigvalsh(random_subspace_hessian(hvp, hvp.dim, subspace, rng=seed))
        return {"loss": hvp.loss, "positive_fraction": float(np.mean(eig > 0)), "subspace_max": float(eig[-1]),
                "subspace_min": float(eig[0]), "hvp_calls": hvp.calls, "parameters": hvp.dim}
    raise ValueError(f"hessian_run: kind must be 'training' or 'radius', got {kind!r}")


def hessian_summary(result):
    name = result.sweep.name
    rows = []
    steps = sorted(result.distinct("step", kind="training"))
    if steps:
        loss = [result.mean("loss", kind="training", step=s) for s in steps]
        neg = [result.mean("negative_fraction", kind="training", step=s) for s in steps]
        lmax = [result.mean("lambda_max", kind="training", step=s) for s in steps]
        lmin = [result.mean("lambda_min", kind="training", step=s) for s in steps]
        rows.append(_row(name, f"negative-eigenvalue fraction at training steps {', '.join(map(str, steps))}",
                         "falls as the loss falls (fig. 20.8b)", ", ".join(f"{v:.3f}" for v in neg),
                         "training loss " + ", ".join(f"{v:.3f}" for v in loss)))
        rows.append(_row(name, "largest / most negative eigenvalue", None,
                         "; ".join(f"{a:.3g} / {b:.3g}" for a, b in zip(lmax, lmin)),
                         f"Lanczos on Hessian-vector products, {result.values('parameters')[0]:,} parameters"))
    radii = sorted(result.distinct("radius2", kind="radius"))
    if radii:
        pos = {r: result.mean("positive_fraction", kind="radius", radius2=r) for r in radii}
        best = max(pos, key=pos.get)
        rows.append(_row(name, f"positive-curvature fraction in a random subspace at r² = "
                         f"{', '.join(f'{r:g}' for r in radii)} x init",
                         "a pronounced peak (Goldilocks zone, fig. 20.9)", ", ".join(f"{pos[r]:.2f}" for r in radii),
                         f"highest at r² = {best:g} x the He initialisation's"))
    return rows


def hessian_plot(result, path):
    from ...plotting import pyplot, save_figure

    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for params, r in result.results(kind="training"):
        ax.scatter([r["loss"]], [r["negative_fraction"]], color="C0")
        ax.annotate(f"step {params['step']}", (r["loss"], r["negative_fraction"]), fontsize=7)
    ax.set_xlabel("training loss")
    ax.set_ylabel("fraction of negative eigenvalues")
    ax.set_title("fig. 20.8b: index vs loss (along training)")
    radii = sorted(result.distinct("radius2", kind="radius"))
    if radii:
        ax2.plot(radii, [result.mean("positive_fraction", kind="radius", radius2=r) for r in radii], marker="o")
        ax2.set_xscale("log")
        ax2.set_xlabel("r² / r² of the initialisation")
        ax2.set_ylabel("fraction of positive eigenvalues")
        ax2.set_title("fig. 20.9: Goldilocks zone (random subspace)")
    return save_figure(fig, path)


HESSIAN = Sweep(
    "hessian", function=hessian_run, section="20.3.4, figs. 20.8-20.9",
    description="Hessian spectra of fig. 8.2's MNIST-1D network by Lanczos iteration on Hessian-vector products: "
                "extreme eigenvalues and the negative fraction along training, positive curvature against the "
                "radius of the initialisation",
    grid=[{"kind": "training", "width": 100, "n_data": 1000, "step": [0, 300, 1500, 6000]},
          {"kind": "radius", "width": 100, "n_data": 1000, "radius2": [0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0, 1000.0]}],
    seeds=(0,),
    full_grid=[{"kind": "training", "width": 100, "n_data": 4000, "step": [0, 100, 300, 1000, 3000, 6000],
                "lanczos_steps": 60, "probes": 8},
               {"kind": "radius", "width": 100, "n_data": 4000,
                "radius2": [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 1000.0],
                "subspace": 40}],
    full_seeds=(0, 1),
    reduced="Hessian of the loss on 1,000 training examples (--full: all 4,000), 30 Lanczos steps, 3 probes, "
            "a 20-dimensional random subspace, one seed. The book's fig. 20.8b shows critical points found by "
            "Dauphin et al.; ours are points along one training run.",
    summarize=hessian_summary, plot=hessian_plot)

# ---- fig. 20.14: adversarial examples --------------------------------------------------------------------------

EPSILONS = [0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5]


def _trained_classifier(model, seed, steps, lr):
    from ...optim import SGD
    from ...zoo.supervised.mnist1d_cnn import MNIST1DCNN

    train, test = _fig82_data()
    net = mlp([100, 100], seed) if model == "mlp" else MNIST1DCNN(rng=seed)
    train_classifier(net, SGD(net.parameters(), lr=lr), train, test, steps=steps, batch_size=100, rng=seed)
    return net, test


def adversarial_run(model, steps, lr, seed, epsilons=None):
    """Fig. 20.14 on MNIST-1D: the test error of fig. 8.2's MLP (`model="mlp"`) or fig. 10.7's CNN
    (`"cnn"`) after `steps` steps of SGD at `lr`, on FGSM examples x + ε·sign(∂L/∂x) and, as a
    control, on x + ε·(random signs), for each ε (the inputs are standardised: 1 = their s.d.)."""
    from ...autograd.tensor import Tensor
    from ...training.metrics import classification_error
    from ..adversarial import adversarial_errors

    epsilons = EPSILONS if epsilons is None else epsilons
    net, (x, y) = _trained_classifier(model, seed, steps, lr)
    adversarial = adversarial_errors(net, x, y, epsilons)
    signs = np.sign(np.random.default_rng(seed).standard_normal(x.shape)).astype(x.dtype)
    net.eval()
    random = [100.0 * classification_error(net(Tensor(x + e * signs)), y) for e in epsilons]
    flipped = next((e for e, err in zip(epsilons, adversarial) if err >= 90.0), None)
    return {"epsilon": list(epsilons), "adversarial_error": adversarial, "random_error": random,
            "clean_error": adversarial[0], "epsilon_90": flipped, "parameters": net.num_parameters()}


def adversarial_summary(result):
    name = result.sweep.name
    rows = []
    for model in result.distinct("model"):
        runs = result.results(model=model)
        eps = runs[0][1]["epsilon"]
        adv = [_mean([r["adversarial_error"][i] for _, r in runs]) for i in range(len(eps))]
        rnd = [_mean([r["random_error"][i] for _, r in runs]) for i in range(len(eps))]
        i = eps.index(0.1) if 0.1 in eps else len(eps) // 2
        label = "fig. 8.2's MLP" if model == "mlp" else "fig. 10.7's CNN"
        rows.append(_row(name, f"{label}: test error clean -> FGSM at ε = {eps[i]:g} (‖δ‖∞, inputs have s.d. 1)",
                         "a small perturbation flips the class", f"{adv[0]:.1f} -> {adv[i]:.1f} %",
                         f"random signs of the same size: {rnd[i]:.1f} %"))
        rows.append(_row(name, f"{label}: test error at ε = {', '.join(f'{e:g}' for e in eps)}", None,
                         ", ".join(f"{a:.1f}" for a in adv)))
    return rows


def adversarial_plot(result, path):
    from ...plotting import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for k, model in enumerate(result.distinct("model")):
        for i, (_, r) in enumerate(result.results(model=model)):
            ax.plot(r["epsilon"], r["adversarial_error"], color=f"C{k}", marker="o", ms=3,
                    label=f"{model}: FGSM" if i == 0 else None)
            ax.plot(r["epsilon"], r["random_error"], color=f"C{k}", ls=":", label=f"{model}: random signs"
                    if i == 0 else None)
    ax.set_xlabel("ε = ‖δ‖∞ (inputs have s.d. 1)")
    ax.set_ylabel("test error (%)")
    ax.set_title("fig. 20.14 on MNIST-1D: FGSM vs random perturbations")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


ADVERSARIAL = Sweep(
    "adversarial", function=adversarial_run, section="20.4.6, fig. 20.14",
    description="test error of the MNIST-1D classifiers on fast-gradient-sign perturbations of growing size, "
                "against random perturbations of the same size",
    grid=[{"model": "mlp", "steps": 6000, "lr": 0.1}, {"model": "cnn", "steps": 10000, "lr": 0.1}],
    seeds=(0,),
    full_grid=[{"model": "mlp", "steps": 6000, "lr": 0.1}, {"model": "cnn", "steps": 100000, "lr": 0.01}],
    full_seeds=(0, 1, 2),
    reduced="fig. 8.2's MLP as in the book; fig. 10.7's CNN with the shortened schedule of `make demo` "
            "(10,000 steps at lr 0.1; --full: the book's 100,000 at 0.01), one seed. The book shows AlexNet on "
            "ImageNet and prints no numbers.",
    summarize=adversarial_summary, plot=adversarial_plot)

# ---- fig. 20.15: pruning and lottery tickets ----------------------------------------------------------------


def lottery_run(sparsity, width, steps, seed, rounds=1):
    """Fig. 20.15 and the lottery tickets of section 20.5.1: train fig. 8.2's network from φ₀ (seed
    `seed`), prune the fraction `sparsity` of its weights with the smallest magnitude (over all layers;
    in `rounds` rounds, retraining from φ₀ between them), then retrain the pruned network (a) from
    its original initial weights φ₀ ("rewind") and (b) from a new random initialisation with the same
    mask; also (c) the pruned network without retraining."""
    from ...optim import SGD
    from ..common import errors
    from ..pruning import MaskedOptimizer, apply_masks, magnitude_masks, sparsity as mask_sparsity

    train, test = _fig82_data()
    phi0, phi, dense = trained_fig82(width, steps, seed)

    def retrain(start_vector, masks, init_seed):
        model = _model_at(width, start_vector, init_seed)
        apply_masks(model, masks)
        optimizer = MaskedOptimizer(SGD(model.parameters(), lr=FIG82["lr"]), model, masks)
        _, final = train_classifier(model, optimizer, train, test, steps=steps, batch_size=FIG82["batch_size"],
                                    rng=seed)
        return model, final

    masks, trained = None, _model_at(width, phi)
    for r in range(1, rounds + 1):
        target = 1.0 - (1.0 - sparsity) ** (r / rounds)   # the same fraction of the survivors every round
        masks = magnitude_masks(trained, target, previous=masks)
        if r < rounds:
            trained, _ = retrain(phi0, masks, seed)
    pruned = apply_masks(_model_at(width, phi), masks)
    no_retraining = errors(pruned, train, test)
    _, rewound = retrain(phi0, masks, seed)
    _, reinit = retrain(parameter_vector(mlp([width, width], seed + 5000)), masks, seed)
    return {"sparsity": mask_sparsity(masks), "dense_test_error": dense["test_error"],
            "rewind_test_error": rewound["test_error"], "random_init_test_error": reinit["test_error"],
            "no_retraining_test_error": no_retraining["test_error"], "rewind_train_error": rewound["train_error"],
            "random_init_train_error": reinit["train_error"]}


def lottery_summary(result):
    name = result.sweep.name
    levels = sorted(result.distinct("sparsity"))
    rewind = [result.mean("rewind_test_error", sparsity=s) for s in levels]
    reinit = [result.mean("random_init_test_error", sparsity=s) for s in levels]
    dense = result.mean("dense_test_error")
    wins = sum(a < b for a, b in zip(rewind, reinit))
    return [
        _row(name, f"test error (%) at {', '.join(f'{s:.0%}' for s in levels)} of the weights pruned: rewound to "
             "the initial weights", "stays near the dense network's", ", ".join(f"{v:.1f}" for v in rewind),
             f"dense network {dense:.1f} %"),
        _row(name, "the same masks from a random re-initialisation", "worse (random re-init fails)",
             ", ".join(f"{v:.1f}" for v in reinit), f"rewinding better at {wins} of {len(levels)} levels"),
        _row(name, "pruned without retraining", None,
             ", ".join(f"{result.mean('no_retraining_test_error', sparsity=s):.1f}" for s in levels)),
    ]


def lottery_plot(result, path):
    from ...plotting import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    levels = sorted(result.distinct("sparsity"))
    kept = [100 * (1 - s) for s in levels]
    for key, label in (("rewind_test_error", "rewound to the initial weights (lottery ticket)"),
                       ("random_init_test_error", "random re-initialisation"),
                       ("no_retraining_test_error", "pruned, not retrained")):
        ax.plot(kept, [result.mean(key, sparsity=s) for s in levels], marker="o", label=label)
    ax.axhline(result.mean("dense_test_error"), color="gray", ls="--", lw=0.8, label="dense network")
    ax.set_xscale("log")
    ax.set_xticks(kept, [f"{k:g}" for k in kept])
    ax.minorticks_off()
    ax.invert_xaxis()
    ax.set_xlabel("weights kept (%)")
    ax.set_ylabel("test error (%)")
    ax.set_title("fig. 20.15 / lottery tickets on MNIST-1D")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


LOTTERY = Sweep(
    "lottery-tickets", function=lottery_run, section="20.5.1, 20.2.7, fig. 20.15",
    description="magnitude pruning of fig. 8.2's MNIST-1D network, retrained from its initial weights (lottery "
                "ticket) or from a random re-initialisation",
    grid={"sparsity": [0.5, 0.8, 0.9, 0.95, 0.98], "width": 100, "steps": 3000}, seeds=(0,),
    full_grid={"sparsity": [0.2, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99], "width": 100, "steps": 6000, "rounds": 5},
    full_seeds=(0, 1, 2),
    reduced="one-shot global magnitude pruning of weights (not biases), 3,000 steps of fig. 8.2's SGD for each "
            "training, one seed (--full: 6,000 steps, 5 rounds of iterative pruning, 3 seeds).",
    summarize=lottery_summary, plot=lottery_plot)

# ---- fig. 20.6: random-subspace training -----------------------------------------------------------------------


def subspace_run(dimension, width, steps, lr, seed, batch_size=100):
    """Fig. 20.6: a 40-width-width-10 network trained with Adam (`lr`, batch `batch_size`, `steps`
    steps) on MNIST-1D (4,000 / 1,000) only within a random `dimension`-dimensional subspace through
    its initialisation (`dimension` 0: all the parameters, the baseline)."""
    from ...optim import Adam
    from ..subspace import SubspaceModel

    train, test = _fig82_data()
    base = mlp([width, width], seed)
    model = base if dimension == 0 else SubspaceModel(base, dimension, rng=seed + 1)
    _, final = train_classifier(model, Adam(model.parameters(), lr=lr), train, test, steps=steps,
                                batch_size=batch_size, rng=seed)
    return {"parameters": mlp_parameters([width, width]), "test_error": final["test_error"],
            "train_error": final["train_error"], "test_accuracy": 100.0 - final["test_error"]}


def intrinsic_dimension(result, **where):
    """(d_int90, full accuracy): the smallest subspace dimension whose test accuracy reaches 90 % of the
    unconstrained network's (Li et al.'s definition), or None."""
    full = result.mean("test_accuracy", dimension=0, **where)
    dims = sorted(d for d in result.distinct("dimension", **where) if d)
    return next((d for d in dims if result.mean("test_accuracy", dimension=d, **where) >= 0.9 * full), None), full


def subspace_summary(result):
    name = result.sweep.name
    rows = []
    for width in sorted(result.distinct("width")):
        d90, full = intrinsic_dimension(result, width=width)
        params = result.values("parameters", width=width)[0]
        dims = sorted(d for d in result.distinct("dimension", width=width) if d)
        if full is None or not dims:
            continue
        rows.append(_row(name, f"40-{width}-{width}-10: intrinsic dimension (90 % of the full network's test "
                         "accuracy)", "750 (0.4 % of the parameters; a 2x200 network on MNIST)",
                         f"{d90} ({100 * d90 / params:.1f} % of {params:,})" if d90 else f"more than {max(dims)}",
                         f"full training: {full:.1f} % test accuracy"))
        rows.append(_row(name, f"40-{width}-{width}-10: test accuracy (%) at D_s = {', '.join(map(str, dims))}",
                         None, ", ".join(f"{result.mean('test_accuracy', dimension=d, width=width):.1f}"
                                         for d in dims)))
    return rows


def subspace_plot(result, path):
    from ...plotting import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for k, width in enumerate(sorted(result.distinct("width"))):
        dims = sorted(d for d in result.distinct("dimension", width=width) if d)
        d90, full = intrinsic_dimension(result, width=width)
        if full is None or not dims:
            continue
        colour = f"C{k}"
        ax.plot(dims, [result.mean("test_accuracy", dimension=d, width=width) for d in dims], marker="o",
                color=colour, label=f"40-{width}-{width}-10 in a random subspace")
        ax.axhline(full, color=colour, ls="--", lw=0.8, label="all its parameters")
        ax.axhline(0.9 * full, color=colour, ls=":", lw=0.8, label="90 % of that")
        if d90:
            ax.axvline(d90, color=colour, lw=0.8, alpha=0.6, label=f"intrinsic dimension {d90}")
    ax.set_xscale("log")
    ax.set_xlabel("subspace dimension D_s")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("fig. 20.6 on MNIST-1D")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


INTRINSIC_DIMENSION = Sweep(
    "intrinsic-dimension", function=subspace_run, section="20.3.2, fig. 20.6",
    description="test accuracy of a small MNIST-1D network trained only within a random subspace of its "
                "parameters, against the subspace's dimension",
    grid={"dimension": [0, 25, 100, 400, 800, 1600], "width": 32, "steps": 3000, "lr": 0.01},
    seeds=(0,),
    full_grid=[{"dimension": [0, 10, 25, 50, 100, 200, 400, 600, 800, 1200, 1600, 2000], "width": 32,
                "steps": 6000, "lr": 0.01},
               {"dimension": [0, 100, 400, 1600, 3200, 6400], "width": 100, "steps": 6000, "lr": 0.01}],
    full_seeds=(0, 1, 2),
    reduced="a 40-32-32-10 network (2,698 parameters), Adam lr 0.01, batch 100, 3,000 steps, one seed "
            "(--full: 6,000 steps, more dimensions, fig. 8.2's 40-100-100-10 network too, 3 seeds); the book's "
            "fig. 20.6 is Li et al.'s 2x200 network on MNIST.",
    summarize=subspace_summary, plot=subspace_plot)

SWEEPS = (RANDOM_LABELS, LOSS_LINES, INTRINSIC_DIMENSION, HESSIAN, ADVERSARIAL, LOTTERY)
