"""Side-by-side benchmarks of tinygrad_udl against its peers (issue 9).

`python -m benchmarks [--only W1,W3] [--quick] [--json out.json] [--repeats N]` runs the workloads
below for every installed system -- tinygrad_udl, PyTorch (CPU), micrograd, HIPS autograd and a
hand-written numpy (or plain-Python) forward/backward, the floor -- and prints one table with
medians, ratios, peak memory and a check value that shows the systems computed the same thing.

Workload modules (each exposes `workloads(quick) -> list[Workload]`):

    w1_scalar_mlp    W1   micrograd's demo MLP(2, [16, 16, 1]) on two moons, one step on Values
    w1b_chain        W1b  x <- tanh(0.9 x + 0.1) repeated N times, then backward (graph depth)
    w2_overhead      W2   tanh(a * b + c).sum() on shape-(8,) tensors: per-operation overhead
    w3_mnist1d_mlp   W3   MNIST-1D MLP 40-100-100-10, SGD with momentum: seconds per epoch
    w4_mnist1d_cnn   W4   the MNIST-1D CNN of figs. 10.7-10.8: seconds per epoch
    w5_gemm_mlp      W5   MLP 512-1024-1024-10, batch 512: GEMM-bound, GFLOP/s vs numpy's matmul
    w6_transformer   W6   one pre-LN transformer encoder layer (chapter 12), forward + backward
    w7_gpt           W7   a training step of the zoo's GPT (gpt-hamlet's size): forward, backward, Adam
    w8_dqn           W8   a DQN agent's inner loop (section 19.4.1): one action and one training step

This package must not import numpy at import time: `__main__` may re-execute the interpreter with
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset before numpy loads (see `harness.openblas_env`).
"""

WORKLOAD_MODULES = ("w1_scalar_mlp", "w1b_chain", "w2_overhead", "w3_mnist1d_mlp", "w4_mnist1d_cnn",
                    "w5_gemm_mlp", "w6_transformer", "w7_gpt", "w8_dqn")
