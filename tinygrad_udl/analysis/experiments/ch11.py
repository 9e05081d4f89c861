"""Chapter 11: variance through residual blocks (fig. 11.6) and batch norm's gradient growth (problem 11.10)."""
from __future__ import annotations

import math

from ...sweep.core import Sweep
from ..residual import BN_GRADIENT_GROWTH, batchnorm_gradient_growth, residual_variances, theory_variances

BN_NO_SKIP = "batchnorm-no-skip"


def residual_run(variant, blocks, width, batch, seed):
    """Fig. 11.6 (`variant` "plain", "scaled" or "batchnorm"): the variance after each of `blocks`
    residual blocks of `width` units for a batch of `batch` N(0, I) inputs. Problem 11.10
    (`variant` "batchnorm-no-skip"): a `blocks`-layer ReLU network with batch norm after each ReLU and
    no skips; the per-layer growth of the gradients going backward."""
    if variant == BN_NO_SKIP:
        out = batchnorm_gradient_growth(layers=blocks, width=width, batch=batch, rng=seed)
        return {"gradient_growth": out["growth"], "forward": out["forward"], "backward": out["backward"],
                "forward_last": out["forward"][-1], "backward_first": out["backward"][0]}
    variances = residual_variances(variant, blocks=blocks, width=width, batch=batch, rng=seed)
    return {"variances": variances, "final_variance": variances[-1],
            "theory_final": theory_variances(variant, blocks)[-1]}


def _row(name, metric, book, ours, note=None):
    return {"model": name, "metric": metric, "book": book, "ours": ours, "note": note}


def _mean_curve(result, key, **where):
    curves = [r[key] for _, r in result.results(**where)]
    return [sum(c[i] for c in curves) / len(curves) for i in range(len(curves[0]))] if curves else []


def residual_summary(result):
    name = result.sweep.name
    rows = []
    book = {"plain": "doubles per block: 1, 2, 4, 8, ...", "scaled": "constant: 1, 1, 1, ...",
            "batchnorm": "linear: 1, 2, 3, 4, ..."}
    for variant in ("plain", "scaled", "batchnorm"):
        curve = _mean_curve(result, "variances", variant=variant)
        if not curve:
            continue
        blocks = len(curve)
        shown = [0, 1, 2, 3, blocks - 1]
        theory = theory_variances(variant, blocks)
        per_block = (curve[-1] / curve[0]) ** (1 / (blocks - 1)) if variant == "plain" else None
        rows.append(_row(name, f"{variant}: variance after blocks 1, 2, 3, 4, {blocks} (fig. 11.6)", book[variant],
                         ", ".join(f"{curve[i]:.3g}" for i in shown),
                         "theory " + ", ".join(f"{theory[i]:g}" for i in shown)
                         + (f"; x{per_block:.2f} per block" if per_block else "")))
    grows = result.values("gradient_growth", variant=BN_NO_SKIP)
    if grows:
        mean = sum(grows) / len(grows)
        rows.append(_row(name, "BN without skips: gradient growth per layer, backward (P11.10)",
                         round(BN_GRADIENT_GROWTH, 4), round(mean, 4),
                         f"√(π/(π−1)); {len(grows)} seeds, {min(grows):.3f}-{max(grows):.3f}"))
    return rows


def residual_plot(result, path):
    from ...plotting import pyplot, save_figure

    plt = pyplot()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for variant, colour in (("plain", "C0"), ("scaled", "C1"), ("batchnorm", "C2")):
        curve = _mean_curve(result, "variances", variant=variant)
        if curve:
            k = list(range(1, len(curve) + 1))
            ax.plot(k, curve, marker="o", ms=3, color=colour, label=variant)
            ax.plot(k, theory_variances(variant, len(curve)), ls=":", color=colour)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("residual block")
    ax.set_ylabel("variance of h_k")
    ax.set_title("fig. 11.6 (dotted: theory)")
    ax.legend(fontsize=8)
    backward = _mean_curve(result, "backward", variant=BN_NO_SKIP)
    if backward:
        k = list(range(len(backward)))
        ax2.plot(k, [math.sqrt(v) for v in backward], marker="o", ms=3, label="std of dL/df_k")
        ref = math.sqrt(backward[-1])
        ax2.plot(k, [ref * BN_GRADIENT_GROWTH ** (len(k) - 1 - i) for i in k], ls=":", label="x1.21 per layer")
        ax2.set_yscale("log")
        ax2.set_xlabel("layer k")
        ax2.set_title("P11.10: BN after each ReLU, no skips")
        ax2.legend(fontsize=8)
    return save_figure(fig, path)


RESIDUAL_VARIANCE = Sweep(
    "residual-variance", function=residual_run, section="11.3-11.4, fig. 11.6, problem 11.10",
    description="variance of the activations through residual blocks at He initialisation: plain, scaled by "
                "1/√2, batch norm first; gradient growth of batch norm without skips",
    grid=[{"variant": ["plain", "scaled", "batchnorm"], "blocks": 12, "width": 100, "batch": 1000},
          {"variant": BN_NO_SKIP, "blocks": 30, "width": 100, "batch": 1000}],
    seeds=(0, 1, 2, 3),
    full_grid=[{"variant": ["plain", "scaled", "batchnorm"], "blocks": 16, "width": 400, "batch": 2000},
               {"variant": BN_NO_SKIP, "blocks": 50, "width": 400, "batch": 2000}],
    full_seeds=tuple(range(8)),
    reduced="width 100, batch 1,000, 4 seeds (--full: width 400, batch 2,000, 8 seeds); inputs N(0, I), "
            "blocks f_k = Linear(ReLU(.)) with He weights, float64.",
    summarize=residual_summary, plot=residual_plot)

SWEEPS = (RESIDUAL_VARIANCE,)
