"""Chapter 8: bias and variance of the simplified network (figs. 8.5-8.9) and double descent (fig. 8.10)."""
from __future__ import annotations

from ...sweep.core import Sweep
from ..bias_variance import NOISE_STD, bias_variance
from ..common import (mlp, mlp_parameters, mnist1d_split, randomize_labels, train_classifier,
                      two_layer_width_for)

# ---- figs. 8.5-8.9: bias, variance and noise --------------------------------------------------------------


def bias_variance_run(capacity, n_train, datasets, seed, noise_std=NOISE_STD):
    """Noise, bias and variance (eq. 8.7) of the simplified network of fig. 8.4 with `capacity` hidden
    units, over `datasets` training sets of `n_train` points of fig. 8.3's generator."""
    return bias_variance(capacity, n_train=n_train, noise_std=noise_std, datasets=datasets, rng=seed)


def _row(sweep, metric, book, ours, note=None):
    return {"model": sweep, "metric": metric, "book": book, "ours": ours, "note": note}


def bias_variance_summary(result):
    name = result.sweep.name
    capacities = result.distinct("capacity", n_train=15)
    rows = []
    if capacities:
        total = {c: result.mean("bias_plus_variance", capacity=c, n_train=15) for c in capacities}
        best = min(total, key=total.get)
        rows.append(_row(name, "capacity with the least bias + variance (15 points, fig. 8.9)", 4, best,
                         f"bias + variance {total[best]:.4f} there; capacities {min(capacities)}-{max(capacities)}"))
        lo, hi = min(capacities), max(capacities)
        rows.append(_row(name, f"bias at capacity {lo} -> {hi} (fig. 8.7a-c)", "decreases",
                         f"{result.mean('bias', capacity=lo, n_train=15):.4f} -> "
                         f"{result.mean('bias', capacity=hi, n_train=15):.4f}"))
        rows.append(_row(name, f"variance at capacity {lo} -> {hi} (fig. 8.7d-f)", "increases",
                         f"{result.mean('variance', capacity=lo, n_train=15):.4f} -> "
                         f"{result.mean('variance', capacity=hi, n_train=15):.4f}"))
    sizes = sorted(n for n in result.distinct("n_train", capacity=3) if n != 15 or len(capacities) == 0)
    if len(sizes) > 1:
        rows.append(_row(name, f"variance of the 3-region model with {', '.join(map(str, sizes))} points (fig. 8.6)",
                         "shrinks", ", ".join(f"{result.mean('variance', capacity=3, n_train=n):.4f}" for n in sizes)))
    gaps = [abs(r["expected_error"] - r["test_error"]) / max(r["test_error_se"], 1e-12) for _, r in result.results()]
    rows.append(_row(name, "bias + variance + noise vs Monte Carlo test error (eq. 8.7)", "equal",
                     f"within {max(gaps):.1f} standard errors", f"noise σ² = {NOISE_STD ** 2:g} (σ = {NOISE_STD})"))
    return rows


def bias_variance_plot(result, path):
    from ...plotting import pyplot, save_figure

    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [2, 1]})
    caps = sorted(result.distinct("capacity", n_train=15))
    for metric, label, style in (("bias", "bias", "-"), ("variance", "variance", "-"),
                                 ("bias_plus_variance", "bias + variance", "--")):
        ax.plot(caps, [result.mean(metric, capacity=c, n_train=15) for c in caps], style, marker="o", label=label)
    ax.axvline(4, color="gray", lw=0.8, ls=":", label="book's minimum (capacity 4)")
    ax.set_xlabel("capacity (hidden units / linear regions)")
    ax.set_ylabel("error term (averaged over x)")
    ax.set_ylim(0, min(0.4, ax.get_ylim()[1]))
    ax.set_title("fig. 8.9: 15 training points")
    ax.legend(fontsize=8)
    sizes = sorted(result.distinct("n_train", capacity=3))
    ax2.plot(sizes, [result.mean("variance", capacity=3, n_train=n) for n in sizes], marker="o")
    ax2.set_xscale("log")
    ax2.set_xlabel("training points")
    ax2.set_ylabel("variance")
    ax2.set_title("fig. 8.6: 3 regions")
    return save_figure(fig, path)


BIAS_VARIANCE = Sweep(
    "bias-variance", function=bias_variance_run, section="8.2-8.3, figs. 8.5-8.9",
    description="noise, bias and variance of the simplified network of fig. 8.4 against capacity, and against "
                "the number of training points",
    grid=[{"capacity": list(range(1, 13)), "n_train": 15, "datasets": 500},
          {"capacity": 3, "n_train": [6, 10, 100], "datasets": 500}],
    seeds=(0, 1),
    full_grid=[{"capacity": list(range(1, 15)), "n_train": 15, "datasets": 5000},
               {"capacity": 3, "n_train": [6, 10, 15, 30, 100], "datasets": 5000}],
    full_seeds=(0, 1, 2, 3),
    reduced="500 training sets per point and 2 seeds (--full: 5,000 and 4); fig. 8.3's generator "
            "exp(sin 2πx) + N(0, 0.3²) with one x per segment; closed-form least squares.",
    summarize=bias_variance_summary, plot=bias_variance_plot)

# ---- fig. 8.10: double descent -------------------------------------------------------------------------------


def double_descent_run(width, n_train, n_test, label_noise, steps, seed, lr=0.005):
    """Fig. 8.10: a 40 → H → H → 10 network trained with Adam (step `lr`), full batch, for `steps`
    steps on `n_train` MNIST-1D examples with a fraction `label_noise` of their labels randomised
    (the same examples and noisy labels for every run; `seed` draws the initialisation)."""
    from ...optim import Adam

    train, test = mnist1d_split(n_train, n_test)
    train = (train[0], randomize_labels(train[1], label_noise, rng=1234) if label_noise else train[1])
    model = mlp([width, width], seed)
    _, final = train_classifier(model, Adam(model.parameters(), lr=lr), train, test, steps=steps,
                                batch_size=n_train, rng=seed)
    return {"parameters": mlp_parameters([width, width]), **{k: final[k] for k in
            ("train_error", "test_error", "train_loss", "test_loss")}}


def _first_local_minimum(widths, values):
    """The first width whose value is no larger than its neighbours' (the classical regime's best)."""
    for i, w in enumerate(widths):
        if (i == 0 or values[w] <= values[widths[i - 1]]) and (i == len(widths) - 1 or values[w] <= values[widths[i + 1]]):
            return w
    return widths[0]


def double_descent_summary(result):
    name = result.sweep.name
    rows = []
    for noise in sorted(result.distinct("label_noise")):
        widths = sorted(result.distinct("width", label_noise=noise))
        n_train = result.distinct("n_train", label_noise=noise)[0]
        test = {w: result.mean("test_error", width=w, label_noise=noise) for w in widths}
        train = {w: result.mean("train_error", width=w, label_noise=noise) for w in widths}
        loss = {w: result.mean("test_loss", width=w, label_noise=noise) for w in widths}
        label = f"{noise:.0%} label noise"
        threshold = two_layer_width_for(n_train)
        memorised = next((w for w in widths if train[w] <= 1.0), None)
        rows.append(_row(name, f"{label}: narrowest width with training error <= 1 %",
                         "almost #params = #examples" if noise else "well before the dashed line",
                         f"H = {memorised} ({mlp_parameters([memorised] * 2):,} params)" if memorised else "none",
                         f"#params = #examples ({n_train:,}) at H = {threshold:.1f}"))
        first = _first_local_minimum(widths, test)
        after = [w for w in widths if w > first]
        if not after:
            continue
        peak = max(after, key=test.get)
        rows.append(_row(name, f"{label}: test error at the first minimum -> peak -> widest", "falls, rises to a "
                         "peak near #params = #examples, falls below the first minimum" if noise else "keeps falling",
                         f"{test[first]:.1f} % (H = {first}) -> {test[peak]:.1f} % (H = {peak}, "
                         f"{mlp_parameters([peak] * 2):,} params) -> {test[widths[-1]]:.1f} % (H = {widths[-1]})"))
        worst = max(widths, key=loss.get)
        rows.append(_row(name, f"{label}: the test loss peaks at", None,
                         f"H = {worst} ({mlp_parameters([worst] * 2):,} params): {loss[worst]:.1f}",
                         f"{loss[widths[0]]:.2f} at H = {widths[0]}, {loss[widths[-1]]:.2f} at H = {widths[-1]}"))
        if noise:
            rows.append(_row(name, f"{label}: the widest network beats the first minimum", "yes",
                             "yes" if test[widths[-1]] < test[first] else "no"))
    return rows


def double_descent_plot(result, path):
    from ...plotting import pyplot, save_figure

    plt = pyplot()
    noises = sorted(result.distinct("label_noise"))
    fig, axes = plt.subplots(1, len(noises), figsize=(5.2 * len(noises), 3.8), squeeze=False)
    for ax, noise in zip(axes[0], noises):
        widths = sorted(result.distinct("width", label_noise=noise))
        params = [mlp_parameters([w, w]) for w in widths]
        for split in ("train", "test"):
            ax.plot(params, [result.mean(f"{split}_error", width=w, label_noise=noise) for w in widths],
                    marker="o", label=f"{split} error")
        n_train = result.distinct("n_train", label_noise=noise)[0]
        ax.axvline(n_train, color="gray", ls="--", lw=0.8, label="#params = #examples")
        ax.set_xscale("log")
        ax.set_xlabel("parameters")
        ax.set_ylabel("error (%)")
        ax.set_title(f"fig. 8.10{'b' if noise else 'a'}: {noise:.0%} label noise, {n_train:,} examples")
        twin = ax.twinx()
        twin.plot(params, [result.mean("test_loss", width=w, label_noise=noise) for w in widths], color="C3",
                  ls=":", marker=".", label="test loss (right)")
        twin.set_yscale("log")
        twin.set_ylabel("test loss")
        lines = ax.get_legend_handles_labels()
        more = twin.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8)
    return save_figure(fig, path)


DOUBLE_DESCENT = Sweep(
    "double-descent", function=double_descent_run, section="8.4, fig. 8.10",
    description="train and test error of 40-H-H-10 networks on MNIST-1D against the number of parameters, "
                "with 15 % label noise",
    grid={"width": [2, 4, 8, 12, 16, 20, 24, 32, 48, 96], "n_train": 1000, "n_test": 1000,
          "label_noise": 0.15, "steps": 3000},
    seeds=(0,),
    full_grid={"width": [2, 4, 8, 16, 24, 32, 40, 48, 56, 64, 72, 78, 86, 96, 112, 128, 160, 256, 384],
               "n_train": 10000, "n_test": 5000, "label_noise": [0.0, 0.15], "steps": 4000},
    full_seeds=(0,),
    reduced="1,000 training / 1,000 test examples and 3,000 steps, 15 % noise only, one seed (the book: "
            "10,000 / 5,000, 4,000 steps, with and without noise: --full, hours here); Adam 0.005, full batch.",
    summarize=double_descent_summary, plot=double_descent_plot)

SWEEPS = (BIAS_VARIANCE, DOUBLE_DESCENT)

