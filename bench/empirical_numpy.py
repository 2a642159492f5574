"""numpy peer for the structured empirical NTK of an MLP (NTK parameterization): the SAME algorithm as ntk-l2's
`structuredNtk`, so that the two can be compared product for product.

Network: layers l = 0..L-1, h_0 = x,
    z_l = (wStd / sqrt(n_l)) * h_l @ W_l + bStd * b_l,   h_{l+1} = relu(z_l),   f = z_{L-1},
W_l of shape (n_l, n_{l+1}), b_l of shape (n_{l+1},) (present only when bStd > 0).

Algorithm (never forms the Jacobian): one forward pass keeping each layer's input h_l, then from the last layer
to the first, with the sensitivities delta_l[i, c, u] = d f_c(x_i) / d z_l(x_i)_u of all k outputs at once,
    Theta += (wStd^2 / n_l * h_l h_l^T + bStd^2)  (elementwise)  sum_c delta_l[:, c, :] delta_l[:, c, :]^T,
    delta_{l-1} = (wStd / sqrt(n_l)) * (delta_l @ W_l^T)  (elementwise)  relu'(z_{l-1}),
and Theta / k, the trace over the k outputs. Products in float32 (numpy on its OpenBLAS; `D @ D.T` of one
array is a syrk), each layer's N x N share added in float64, as ntk-l2 does. Sensitivities are laid out
[N, k, width] so that sum_c delta_c delta_c^T is one product of the N x (k*width) matrix with itself.

Usage:
    python3 bench/empirical_numpy.py --x X.npy --weights DIR --wstd 1.41421356 --bstd 0.1 --out THETA.npy \
        [--threads 2] [--repeat 3] [--peak 2048]

DIR holds W0.npy, b0.npy (if bStd > 0), W1.npy, ... (float32). Prints one JSON line on stdout: the best time of
--repeat runs of the kernel (loading and saving not timed), the least CPU time (all threads) of one run, the peak resident memory, and, with --peak M, the
float32 GEMM rate of numpy on M x M by M x M in the same process (best of 3), the machine's BLAS peak.
"""
import argparse
import json
import os
import re
import resource
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--x", required=True, help="inputs, N x d .npy")
    p.add_argument("--weights", required=True, help="directory with W0.npy, b0.npy, W1.npy, ...")
    p.add_argument("--wstd", type=float, required=True)
    p.add_argument("--bstd", type=float, required=True)
    p.add_argument("--out", required=True, help="output .npy (float64 N x N)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--peak", type=int, default=0, help="also time an M x M float32 GEMM (0: no)")
    return p.parse_args()


args = parse_args()
# BLAS thread pools read these when they load (before numpy is imported).
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

try:
    import numpy as np
except ImportError:
    print(json.dumps({"skipped": "numpy not found for " + sys.executable}))
    sys.exit(0)


def load_weights(directory, b_std):
    names = [f for f in os.listdir(directory) if re.fullmatch(r"W\d+\.npy", f)]
    if not names:
        raise SystemExit(f"no W*.npy files in {directory}")
    ws = [np.ascontiguousarray(np.load(os.path.join(directory, f"W{l}.npy")), dtype=np.float32) for l in range(len(names))]
    bs = None
    if b_std > 0:
        bs = [np.ascontiguousarray(np.load(os.path.join(directory, f"b{l}.npy")), dtype=np.float32) for l in range(len(names))]
    return ws, bs


def structured_ntk(x, ws, bs, w_std, b_std):
    """(1/k) sum_c J_c J_c^T by per-layer Grams (float32 products, float64 sums)."""
    n = x.shape[0]
    depth = len(ws)
    mul = [np.float32(w_std / np.sqrt(w.shape[0])) for w in ws]
    hs, zs = [x], []
    for l in range(depth):
        z = hs[l] @ ws[l]
        z *= mul[l]
        if bs is not None:
            z += np.float32(b_std) * bs[l]
        zs.append(z)
        if l < depth - 1:
            hs.append(np.maximum(z, 0))
    k = zs[-1].shape[1]
    theta = np.zeros((n, n), dtype=np.float64)
    d = np.broadcast_to(np.eye(k, dtype=np.float32), (n, k, k))  # delta at the outputs, [N, k, k]
    for l in range(depth - 1, -1, -1):
        width = ws[l].shape[1]
        h = hs[l]
        g = h @ h.T  # syrk
        g *= mul[l] * mul[l]
        if bs is not None:
            g += np.float32(b_std * b_std)
        flat = np.ascontiguousarray(d).reshape(n, k * width)
        dd = flat @ flat.T  # syrk: sum_c delta_c delta_c^T
        dd *= g
        theta += dd
        if l > 0:
            d = (np.ascontiguousarray(d).reshape(n * k, width) @ ws[l].T).reshape(n, k, ws[l].shape[0])
            d *= mul[l]
            d *= (zs[l - 1] > 0)[:, None, :]
    theta /= k
    return theta


def gemm_peak(m):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, m), dtype=np.float32)
    b = rng.standard_normal((m, m), dtype=np.float32)
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        a @ b
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best, 2 * m ** 3 / best / 1e9


def main():
    x = np.ascontiguousarray(np.load(args.x), dtype=np.float32)
    if x.ndim != 2:
        raise SystemExit(f"--x must be N x d, got shape {x.shape}")
    ws, bs = load_weights(args.weights, args.bstd)
    if ws[0].shape[0] != x.shape[1]:
        raise SystemExit(f"input dimension {x.shape[1]} != W0 rows {ws[0].shape[0]}")
    best, best_cpu, theta = None, None, None
    for _ in range(max(1, args.repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        theta = structured_ntk(x, ws, bs, args.wstd, args.bstd)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        best = dt if best is None else min(best, dt)
        best_cpu = dc if best_cpu is None else min(best_cpu, dc)
    np.save(args.out, theta)
    out = {
        "seconds": best,
        "cpu_seconds": best_cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "numpy": np.__version__,
        "threads": args.threads,
        "N": int(x.shape[0]),
    }
    if args.peak > 0:
        out["peak_m"] = args.peak
        out["peak_seconds"], out["peak_gflops"] = gemm_peak(args.peak)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
