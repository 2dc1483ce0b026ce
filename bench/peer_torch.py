#!/usr/bin/python3
"""PyTorch peer for bench_gemm and bench_conv: the same GEMM shapes (torch.mm on
transposed views where the GEMM transposes an operand) and the same conv2d
workloads (forward under no_grad; forward + backward for input and weight), at
1 and 2 threads, in GFLOP/s. Run it with /usr/bin/python3 (Debian's python3-torch)
and LD_PRELOAD=libjemalloc.so.2, its faster configuration on these machines.
Debian's torch.mm goes to OpenBLAS, whose own thread pool ignores
torch.set_num_threads, so the thread count is also set there (through ctypes, on
the libopenblas.so.0 torch has loaded); convolutions go through oneDNN.

  peer_torch.py [--threads 1,2] [--min-seconds S] [--batch 128] [--only gemm|conv] [--tsv]
"""
import argparse
import ctypes
import statistics
import time

import torch
import torch.nn.functional as F

LAYERS = [("layer1", 64, 32), ("layer2", 128, 16), ("layer3", 256, 8), ("layer4", 512, 4)]


def openblas():
    """The OpenBLAS torch uses (already loaded, so dlopen returns it), or None."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib
    except (OSError, AttributeError):
        return None


def set_threads(threads, blas):
    torch.set_num_threads(threads)
    if blas is not None:
        blas.openblas_set_num_threads(threads)


def gemm_shapes(batch):
    """(name, trans_a, trans_b, M, N, K), as in bench/bench_gemm.cpp."""
    shapes = [("square1024", False, False, 1024, 1024, 1024)]
    for name, channels, side in LAYERS:
        k_out, crs, npq = channels, channels * 9, batch * side * side
        shapes.append((name + ".fwd", False, False, k_out, npq, crs))
        shapes.append((name + ".dweight", False, True, k_out, crs, npq))
        shapes.append((name + ".dinput", True, False, crs, npq, k_out))
    chunk = 1024  # the column chunks cpu/conv.cpp multiplies
    for name, channels, side in LAYERS:
        k_out, crs = channels, channels * 9
        shapes.append((name + ".fwd.c1024", False, False, k_out, chunk, crs))
        shapes.append((name + ".dweight.c1024", False, True, k_out, crs, chunk))
        shapes.append((name + ".dinput.c1024", True, False, crs, chunk, k_out))
    return shapes


def median_seconds(run, min_seconds):
    run()  # warm-up
    times = []
    while len(times) < 5 or (sum(times) < min_seconds and len(times) < 200):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_gemm(threads, batch, min_seconds, report):
    for name, trans_a, trans_b, m, n, k in gemm_shapes(batch):
        # Stored operands as in the C++ benchmark: A is K x M when transposed, B is N x K.
        a = torch.rand(k, m) if trans_a else torch.rand(m, k)
        b = torch.rand(n, k) if trans_b else torch.rand(k, n)
        op_a = a.t() if trans_a else a
        op_b = b.t() if trans_b else b
        out = torch.empty(m, n)
        seconds = median_seconds(lambda: torch.mm(op_a, op_b, out=out), min_seconds)
        report("gemm", name, threads, 2.0 * m * n * k / seconds * 1e-9)


def bench_conv(threads, batch, min_seconds, report):
    for name, channels, side in LAYERS:
        x = torch.randn(batch, channels, side, side, requires_grad=True)
        w = (0.05 * torch.randn(channels, channels, 3, 3)).requires_grad_()
        dy = torch.randn(batch, channels, side, side)
        flops = 2.0 * batch * channels * channels * 9 * side * side

        def forward():
            with torch.no_grad():
                F.conv2d(x, w, None, 1, 1)

        def training():
            x.grad = None
            w.grad = None
            F.conv2d(x, w, None, 1, 1).backward(dy)

        report("conv", name + ".fwd", threads, flops / median_seconds(forward, min_seconds) * 1e-9)
        report("conv", name + ".fwdbwd", threads,
               3 * flops / median_seconds(training, min_seconds) * 1e-9)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--min-seconds", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--only", choices=["gemm", "conv"])
    parser.add_argument("--tsv", action="store_true")
    args = parser.parse_args()

    blas = openblas()
    if args.tsv:
        print("bench\tshape\tthreads\ttorch_gflops")
    else:
        core = blas.openblas_get_corename().decode() if blas else "not loaded"
        print(f"# PyTorch {torch.__version__}, mkldnn={torch.backends.mkldnn.is_available()}, "
              f"OpenBLAS core {core}")
        print(f"{'bench':<6} {'shape':<22} {'threads':>7} {'PyTorch GF/s':>14}")

    def report(bench, shape, threads, gflops):
        if args.tsv:
            print(f"{bench}\t{shape}\t{threads}\t{gflops:.1f}", flush=True)
        else:
            print(f"{bench:<6} {shape:<22} {threads:>7} {gflops:>14.1f}", flush=True)

    torch.manual_seed(0)
    for threads in [int(t) for t in args.threads.split(",")]:
        set_threads(threads, blas)
        if args.only in (None, "gemm"):
            bench_gemm(threads, args.batch, args.min_seconds, report)
        if args.only in (None, "conv"):
            bench_conv(threads, args.batch, args.min_seconds, report)


if __name__ == "__main__":
    main()
