"""How fast the layers given to students are (`make bench`): assignment 2's fast_layers.py.

    python -m autograder.bench_layers [--repeat 5] [--naive-images 2]

Issue 7's goal: conv_forward_fast + conv_backward_fast at the ThreeLayerConvNet
shapes (N=50, 3x32x32, 32 filters 7x7, stride 1, pad 3) within 3x of
torch.nn.functional.conv2d forward + backward on the same CPU in the same run,
and at least 20x faster than the naive loops. Also max pooling (2x2, stride 2)
on the conv output's shape, against the naive version and F.max_pool2d.

The naive loops cost time in proportion to the number of images, so they run
on --naive-images images and their time is scaled to N=50 (the table says so);
everything else runs on all 50. Each timing is the median of --repeat runs.
Prints a Markdown table (the Makefile keeps it in build/layers_bench.txt).
"""
import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
N, C, H, W, F, K = 50, 3, 32, 32, 32, 7
CONV = {"stride": 1, "pad": (K - 1) // 2}
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}


def median_time(fn, repeat):
    """Median wall time of fn() over `repeat` runs, after one warm-up run."""
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(repeat, naive_images):
    sys.path.insert(0, str(REPO / "source"))
    import torch
    import torch.nn.functional as functional
    from cs231n.fast_layers import (conv_backward_fast, conv_forward_fast, max_pool_backward_fast,
                                    max_pool_forward_fast)
    from cs231n.layers import (conv_backward_naive, conv_forward_naive, max_pool_backward_naive,
                               max_pool_forward_naive)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((F, C, K, K)) * 1e-2
    b = rng.standard_normal(F)
    dout = rng.standard_normal((N, F, H, W))
    small = slice(0, naive_images)

    def conv_fast():
        out, cache = conv_forward_fast(x, w, b, CONV)
        conv_backward_fast(dout, cache)

    def conv_naive():
        out, cache = conv_forward_naive(x[small], w, b, CONV)
        conv_backward_naive(dout[small], cache)

    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    tdout = torch.tensor(dout)

    def conv_torch():
        out = functional.conv2d(tx, tw, tb, stride=CONV["stride"], padding=CONV["pad"])
        out.backward(tdout)

    pooled_in = rng.standard_normal((N, F, H, W))
    pooled_dout = rng.standard_normal((N, F, H // 2, W // 2))

    def pool_fast():
        out, cache = max_pool_forward_fast(pooled_in, POOL)
        max_pool_backward_fast(pooled_dout, cache)

    def pool_naive():
        out, cache = max_pool_forward_naive(pooled_in[small], POOL)
        max_pool_backward_naive(pooled_dout[small], cache)

    tp = torch.tensor(pooled_in, requires_grad=True)
    tpdout = torch.tensor(pooled_dout)

    def pool_torch():
        functional.max_pool2d(tp, kernel_size=2, stride=2).backward(tpdout)

    # The fast layers must agree with torch before their speed means anything.
    out, cache = conv_forward_fast(x, w, b, CONV)
    dx, dw, db = conv_backward_fast(dout, cache)
    tx.grad = tw.grad = tb.grad = None
    reference = functional.conv2d(tx, tw, tb, stride=CONV["stride"], padding=CONV["pad"])
    reference.backward(tdout)
    worst = max(float(np.max(np.abs(a - t.detach().numpy()))) for a, t in
                [(out, reference), (dx, tx.grad), (dw, tw.grad), (db, tb.grad)])
    if worst > 1e-6:
        raise SystemExit(f"conv_forward_fast/conv_backward_fast differ from torch by {worst:.2e}; not timing")

    scale = N / naive_images
    return {
        "conv fast": median_time(conv_fast, repeat),
        "conv torch": median_time(conv_torch, repeat),
        "conv naive": median_time(conv_naive, max(1, repeat // 2)) * scale,
        "pool fast": median_time(pool_fast, repeat),
        "pool torch": median_time(pool_torch, repeat),
        "pool naive": median_time(pool_naive, max(1, repeat // 2)) * scale,
        "torch threads": torch.get_num_threads(),
        "agreement": worst,
    }


def markdown(r, repeat, naive_images):
    conv_vs_torch = r["conv fast"] / r["conv torch"]
    conv_vs_naive = r["conv naive"] / r["conv fast"]
    pool_vs_naive = r["pool naive"] / r["pool fast"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"Layers of assignment 2 (`python -m autograder.bench_layers --repeat {repeat} --naive-images "
        f"{naive_images}`), {platform.machine()}, {os.cpu_count()} cores, load average {load:.1f}, "
        f"torch threads {r['torch threads']}; N={N}, {C}x{H}x{W}, {F} filters {K}x{K}, pad {CONV['pad']}; "
        f"forward + backward, median of {repeat}; naive times measured on {naive_images} images and scaled to "
        f"{N}; fast vs torch agree within {r['agreement']:.1e}.",
        "",
        "| layer | fast (NumPy) | torch | naive (scaled) | fast / torch (goal <= 3x) | naive / fast (goal >= 20x) |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| conv 7x7 | {r['conv fast'] * 1e3:.0f} ms | {r['conv torch'] * 1e3:.0f} ms | {r['conv naive']:.1f} s "
        f"| {conv_vs_torch:.2f}x ({'met' if conv_vs_torch <= 3 else 'missed'}) "
        f"| {conv_vs_naive:.0f}x ({'met' if conv_vs_naive >= 20 else 'missed'}) |",
        f"| max pool 2x2 | {r['pool fast'] * 1e3:.1f} ms | {r['pool torch'] * 1e3:.1f} ms | {r['pool naive']:.1f} s "
        f"| {r['pool fast'] / r['pool torch']:.2f}x | {pool_vs_naive:.0f}x |",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.bench_layers", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (median; default 5)")
    parser.add_argument("--naive-images", type=int, default=2,
                        help="images the naive loops run on, scaled to 50 (default 2)")
    args = parser.parse_args(argv)
    if not 1 <= args.naive_images <= N or args.repeat < 1:
        parser.error(f"--naive-images must be 1..{N} and --repeat at least 1")
    print(markdown(measure(args.repeat, args.naive_images), args.repeat, args.naive_images))


if __name__ == "__main__":
    main()
