"""Central finite differences on plain floats: an oracle that does not use the engine."""


def central_difference(f, xs, i, h=1e-6):
    """d f(*xs) / d xs[i] by (f(x + h) - f(x - h)) / 2h, with a step relative to |xs[i]|."""
    step = h * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += step
    down[i] -= step
    return (f(*up) - f(*down)) / (2 * step)
