"""Each convolution of the DCGAN alone, per pass, on the CPU: what libtorch's kernels
reach on this model's shapes, against the cores' peak (bench/peak_flops.c).

usage: conv_layers.py THREADS
Measures the peak first and again last (a shared VM's clock moves; the higher is used).
Kernels: oneDNN (libtorch's default), oneDNN with channels-last tensors, libtorch's native
kernel for the one-channel layers, and the layer as matrix products (MKL) between
unfold and fold ("im2col + MKL", what a custom kernel built on a GEMM would do).
Prints a Markdown table: per layer and kernel, milliseconds per call of the forward pass,
the backward pass to the input (data) and to the weights, GFLOP/s and % of the peak; then
the convolutions' milliseconds per tutorial step at these rates (D: 3 forward passes,
3 to the input of c2/c3 and 1 of c1, 2 to the weights; G: 2 forward, 1 to the input,
1 to the weights; bench/train_torch.py's step), the floor under a step if nothing but
the convolutions took time. Shapes come from one forward pass of bench/dcgan_torch.py's
networks at batch 100, so they follow the layer table.
"""
import os
import statistics
import sys
import time

try:
    (threads,) = map(int, sys.argv[1:])
    assert 1 <= threads <= 1024
except (ValueError, AssertionError):
    print(__doc__, file=sys.stderr)
    sys.exit(2)

# `train` keeps freed activations (torch_ops::keep_freed_memory); without the same glibc
# settings a 5 MB output is mapped and faulted in anew on every call, which makes D's c1
# look ten times slower alone than it is inside a step. The values of
# train/torch-ops/src/allocator.rs, as bench/train.sh sets them.
ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "1073741824"}
if any(os.environ.get(k) != v for k, v in ALLOCATOR.items()):
    os.execve(sys.executable, sys.orig_argv, {**os.environ, **ALLOCATOR})

import torch  # noqa: E402
from torch import nn  # noqa: E402

from dcgan_torch import D, G, init  # noqa: E402
from peak import peak_gflops  # noqa: E402

peak_before = peak_gflops(threads)
torch.set_num_threads(threads)
torch.manual_seed(0)
BATCH, REPEATS = 100, 20
# Calls per tutorial step: forward, backward to the input, backward to the weights.
PER_STEP = {"D": (3, 3, 2), "G": (2, 1, 1)}
FIRST_LAYER_INPUT_GRADS = 1
MATRIX_PRODUCT_TOLERANCE = 1e-4  # float32 reordering of sums of up to 4096 products  # D's c1: only the G step needs the gradient of D's input


def millis(fn):
    for _ in range(3):
        fn()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def as_matrix_product(m, x):
    """The layer as one matrix product per image (MKL) between unfold and fold; autograd
    derives both backward passes as matrix products too.
    conv: x [N,Cin,H,W] -> [N,Cout,H',W']; transposed: x [N,Cin,H,W] -> [N,Cout,H'',W'']"""
    k, s, p = m.kernel_size, m.stride, m.padding
    n, _, h, w = x.shape
    if isinstance(m, nn.Conv2d):
        cols = nn.functional.unfold(x, k, padding=p, stride=s)  # [N, Cin*k*k, H'*W']
        side = ((h + 2 * p[0] - k[0]) // s[0] + 1, (w + 2 * p[1] - k[1]) // s[1] + 1)
        y = m.weight.view(m.out_channels, -1) @ cols
        return (y + m.bias.view(1, -1, 1)).view(n, m.out_channels, *side)
    cols = m.weight.view(m.in_channels, -1).t() @ x.view(n, m.in_channels, h * w)  # [N, Cout*k*k, H*W]
    side = ((h - 1) * s[0] - 2 * p[0] + k[0], (w - 1) * s[1] - 2 * p[1] + k[1])
    y = nn.functional.fold(cols, side, k, padding=p, stride=s)
    return y + m.bias.view(1, -1, 1, 1)


g, d = G(), D()
init(g)
init(d)
inputs = {}  # (net, layer) -> input shape, in forward order


def record(key):
    def hook(module, args, out):
        inputs.setdefault(key, args[0].shape)  # a hook that returns a value replaces the output

    return hook


for net, tag in ((g, "G"), (d, "D")):
    for name, m in net.named_children():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            m.register_forward_hook(record((tag, name)))
with torch.no_grad():
    d(g(torch.rand(BATCH, 100) * 2 - 1))

rows = []  # (layer, kernel, [ms per pass], [GFLOP/s per pass])
step_ms = 0.0
for (tag, name), shape in inputs.items():
    m = getattr(g if tag == "G" else d, name)
    x = torch.randn(shape, requires_grad=True)
    k, s, p = m.kernel_size, m.stride, m.padding
    conv = isinstance(m, nn.Conv2d)
    # Multiply-adds per call: every output (conv) or input (transposed) element takes
    # in_channels (conv) or out_channels (transposed) x kernel area of them; each pass
    # costs the same.
    with torch.no_grad():
        elements = m(x).numel() if conv else x.numel()
    gflop = 2 * elements * (m.in_channels if conv else m.out_channels) * k[0] * k[1] / 1e9
    # kernel -> (input, weight, call): inputs and weights are leaves, so that each pass
    # is timed alone; channels-last keeps its weight in that layout, as a trainer would.
    cl = torch.channels_last
    x_cl = x.detach().contiguous(memory_format=cl).requires_grad_()
    w_cl = m.weight.detach().contiguous(memory_format=cl).requires_grad_()
    op = nn.functional.conv2d if conv else nn.functional.conv_transpose2d
    kernels = {
        "oneDNN": (x, m.weight, lambda: m(x)),
        "oneDNN, channels-last": (x_cl, w_cl, lambda: op(x_cl, w_cl, m.bias, s, p)),
    }
    if not conv and m.out_channels == 1:
        kernels["native"] = (x, m.weight, lambda: torch._C._nn.slow_conv_transpose2d(x, m.weight, k, m.bias, s, p))
    if conv and m.in_channels == 1:
        kernels["native"] = (x, m.weight, lambda: torch._C._nn.thnn_conv2d(x, m.weight, k, m.bias, s, p))
    kernels["im2col + MKL"] = (x, m.weight, lambda: as_matrix_product(m, x))
    with torch.no_grad():
        worst = (as_matrix_product(m, x) - m(x)).abs().max().item()
    assert worst < MATRIX_PRODUCT_TOLERANCE, f"{tag}.{name}: im2col differs by {worst}"
    best = None
    for kernel, (inp, w, run) in kernels.items():
        y = run()
        grad = torch.randn_like(y)
        with torch.no_grad():
            fwd = millis(run)
        data = millis(lambda: torch.autograd.grad(y, [inp], grad, retain_graph=True))
        weights = millis(lambda: torch.autograd.grad(y, [w, m.bias], grad, retain_graph=True))
        times = [fwd, data, weights]
        rows.append((f"{tag}.{name}", kernel, times, [gflop / (t / 1e3) for t in times]))
        n_fwd, n_data, n_weights = PER_STEP[tag]
        if tag == "D" and m.in_channels == 1:
            n_data = FIRST_LAYER_INPUT_GRADS
        ms = n_fwd * fwd + n_data * data + n_weights * weights
        best = ms if best is None else min(best, ms)
    step_ms += best
peak = max(filter(None, [peak_before, peak_gflops(threads)]), default=None)
share = f" | % of the {peak:.0f} GFLOP/s peak" if peak else ""
print(f"| layer | kernel | forward ms | to input ms | to weights ms | GFLOP/s (fwd, input, weights){share} |")
print("|---|---|---:|---:|---:|---|" + ("---|" if peak else ""))
for layer, kernel, times, rates in rows:
    cells = [f"{t:.2f}" for t in times] + [", ".join(f"{r:.0f}" for r in rates)]
    if peak:
        cells.append(", ".join(f"{r / peak:.0%}" for r in rates))
    print(f"| {layer} | {kernel} | {' | '.join(cells)} |")
print(f"\nconvolutions per tutorial step at these rates, the faster kernel of each layer: {step_ms:.0f} ms "
      f"(batch {BATCH}, so at most {BATCH / step_ms * 1e3:.0f} images/s if nothing else took time)")
