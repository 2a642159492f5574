"""PyTorch peer for the empirical NTK of an MLP (NTK parameterization). It returns the trace over outputs
divided by k:

    Theta_avg(x, x') = (1/k) sum_c sum_mu d_mu f_c(x) d_mu f_c(x').

Two methods:
  --method structured (default): the SAME algorithm as ntk-l2's `structuredNtk` and bench/empirical_numpy.py
      (per-layer Gram of the inputs, elementwise times the Gram of the back-propagated sensitivities of all k
      outputs; no Jacobian), float32 products, float64 sums. This is the like-for-like peer.
  --method jacobian: the reference method of neural-tangents (`empirical_ntk_fn` with the Jacobian-contraction
      implementation): per-example Jacobian of the outputs w.r.t. all parameters, then Theta = J J^T,
      contracted parameter tensor by parameter tensor. A different, far costlier algorithm (O(N^2 k P)).

Network: layers l = 0..L-1, h_0 = x,
    z_l = (wStd / sqrt(n_l)) * h_l @ W_l + bStd * b_l,   h_{l+1} = relu(z_l),   f = z_{L-1},
W_l of shape (n_l, n_{l+1}), b_l of shape (n_{l+1},) (present only when bStd > 0).

Usage:
    /usr/bin/python3 bench/empirical_torch.py --x X.npy --weights DIR --wstd 1.41421356 --bstd 0.1 \
        --out THETA.npy [--threads 2] [--repeat 3] [--method structured|jacobian]

DIR holds W0.npy, b0.npy (if bStd > 0), W1.npy, ... (float32); the number of layers is the number of
W*.npy files. X.npy is N x d (float32 or float64). Computation is float32; the N x N sum is
accumulated in float64 and written as float64 to --out. Prints one JSON line on stdout.

Memory (jacobian method): the full Jacobian (N x k x P) is far too big for N=256, k=10, P~1.86M (19 GB), so the
kernel loops over the outputs c (Jacobian of f_c only: N x P floats, ~1.9 GB) and, optionally, over
row/column blocks of examples for the contraction (only blocks i <= j are computed; Theta is
symmetric). Only the kernel computation is timed (not loading or saving).
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
    p.add_argument("--method", choices=("structured", "jacobian"), default="structured")
    p.add_argument("--outputs-per-step", type=int, default=1,
                   help="outputs c whose Jacobians are built at once (memory ~ N * this * P * 4 bytes)")
    p.add_argument("--blocks", type=int, default=2,
                   help="row blocks of examples for the symmetric contraction (1 = one full gemm)")
    return p.parse_args()


args = parse_args()
# Thread counts must be fixed before torch (and its BLAS / OpenMP runtimes) are loaded: Debian's
# torch uses OpenBLAS for matmul, whose own pool does not follow torch.set_num_threads.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

try:
    import numpy as np
    import torch
except ImportError:
    print(json.dumps({"skipped": "PyTorch not found: install Debian's python3-torch "
                                 "(sudo apt-get install python3-torch) and run with /usr/bin/python3"}))
    sys.exit(0)

# torch.func (PyTorch >= 2.0); on 1.13 (Debian bookworm) the same transforms live in functorch.
API = "torch"
if args.method == "jacobian":
    try:
        from torch.func import functional_call, jacrev, vmap
        API = "torch.func"
    except ImportError:
        try:
            from functorch import jacrev, vmap
            from torch.nn.utils.stateless import functional_call
            API = "functorch"
        except ImportError:
            print(json.dumps({"skipped": "PyTorch found but neither torch.func nor functorch is available "
                                         "(need PyTorch >= 1.13 with functorch)"}))
            sys.exit(0)


class MLP(torch.nn.Module):
    """NTK-parameterized ReLU MLP with parameters W{l} (n_l x n_{l+1}) and, if bStd > 0, b{l}."""

    def __init__(self, weights, biases, w_std, b_std):
        super().__init__()
        self.depth = len(weights)
        self.w_std = w_std
        self.b_std = b_std
        for l, w in enumerate(weights):
            self.register_parameter(f"W{l}", torch.nn.Parameter(w))
            if biases is not None:
                self.register_parameter(f"b{l}", torch.nn.Parameter(biases[l]))

    def forward(self, x):
        h = x
        for l in range(self.depth):
            w = getattr(self, f"W{l}")
            # h @ w, written as einsum: under vmap(jacrev) in functorch 1.13 the batching rule for
            # matmul's backward leaves the per-example weight Jacobian in a layout that costs an
            # extra full copy (~3x slower Jacobian); einsum's backward writes it directly.
            z = (self.w_std / w.shape[0] ** 0.5) * torch.einsum("bi,io->bo", h, w)
            if self.b_std > 0:
                z = z + self.b_std * getattr(self, f"b{l}")
            h = torch.relu(z) if l < self.depth - 1 else z
        return h


def load_weights(directory, b_std):
    names = [f for f in os.listdir(directory) if re.fullmatch(r"W\d+\.npy", f)]
    depth = len(names)
    if depth == 0:
        raise SystemExit(f"no W*.npy files in {directory}")
    weights, biases = [], [] if b_std > 0 else None
    for l in range(depth):
        weights.append(torch.from_numpy(np.ascontiguousarray(np.load(os.path.join(directory, f"W{l}.npy")), dtype=np.float32)))
        if biases is not None:
            biases.append(torch.from_numpy(np.ascontiguousarray(np.load(os.path.join(directory, f"b{l}.npy")), dtype=np.float32)))
    for l in range(depth - 1):
        if weights[l].shape[1] != weights[l + 1].shape[0]:
            raise SystemExit(f"shape mismatch: W{l} {tuple(weights[l].shape)} vs W{l + 1} {tuple(weights[l + 1].shape)}")
    return weights, biases


def structured_ntk(weights, biases, x, w_std, b_std):
    """(1/k) sum_c J_c J_c^T by per-layer Grams, line for line as bench/empirical_numpy.py."""
    n = x.shape[0]
    depth = len(weights)
    mul = [w_std / w.shape[0] ** 0.5 for w in weights]
    hs, zs = [x], []
    for l in range(depth):
        z = (hs[l] @ weights[l]).mul_(mul[l])
        if biases is not None:
            z.add_(biases[l], alpha=b_std)
        zs.append(z)
        if l < depth - 1:
            hs.append(torch.relu(z))
    k = zs[-1].shape[1]
    theta = torch.zeros(n, n, dtype=torch.float64)
    d = torch.eye(k, dtype=torch.float32).expand(n, k, k)  # delta at the outputs, [N, k, k]
    for l in range(depth - 1, -1, -1):
        width = weights[l].shape[1]
        h = hs[l]
        g = (h @ h.T).mul_(mul[l] * mul[l])
        if biases is not None:
            g.add_(b_std * b_std)
        flat = d.reshape(n, k * width)
        dd = (flat @ flat.T).mul_(g)
        theta += dd
        if l > 0:
            d = (d.reshape(n * k, width) @ weights[l].T).mul_(mul[l]).reshape(n, k, weights[l].shape[0])
            d.mul_((zs[l - 1] > 0).unsqueeze(1))
    theta /= k
    return theta


def empirical_ntk(model, params, x, outputs_per_step, blocks):
    """(1/k) sum_c J_c J_c^T with J_c the N x P Jacobian of output c, per parameter tensor."""
    n = x.shape[0]
    k = model(x[:1]).shape[1]
    theta = torch.zeros(n, n, dtype=torch.float64)
    bounds = [round(i * n / blocks) for i in range(blocks + 1)]
    bounds = [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]

    for c0 in range(0, k, outputs_per_step):
        c1 = min(k, c0 + outputs_per_step)

        def f_single(p, xi):  # outputs c0..c1-1 of one example
            return functional_call(model, p, (xi.unsqueeze(0),))[0, c0:c1]

        # per-example Jacobians: dict name -> (N, c1-c0, *param.shape)
        jac = vmap(jacrev(f_single), in_dims=(None, 0))(params, x)
        for name in list(jac.keys()):
            j = jac.pop(name).reshape(n, -1)  # (N, (c1-c0) * numel): sum over c and mu in one dot
            for bi, (a0, a1) in enumerate(bounds):
                for (b0, b1) in bounds[bi:]:
                    blk = (j[a0:a1] @ j[b0:b1].T).to(torch.float64)
                    theta[a0:a1, b0:b1] += blk
                    if b0 != a0:
                        theta[b0:b1, a0:a1] += blk.T
            del j
        del jac
    theta /= k
    return theta


def main():
    torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()

    x_np = np.load(args.x)
    if x_np.ndim != 2:
        raise SystemExit(f"--x must be N x d, got shape {x_np.shape}")
    weights, biases = load_weights(args.weights, args.bstd)
    if weights[0].shape[0] != x_np.shape[1]:
        raise SystemExit(f"input dimension {x_np.shape[1]} != W0 rows {weights[0].shape[0]}")
    x = torch.from_numpy(np.ascontiguousarray(x_np, dtype=np.float32))

    model = MLP(weights, biases, args.wstd, args.bstd)
    params = {name: p.detach() for name, p in model.named_parameters()}
    n_params = sum(p.numel() for p in params.values())

    best, best_cpu, theta = None, None, None
    with torch.no_grad():  # jacrev does its own differentiation; no autograd graph outside it
        for _ in range(max(1, args.repeat)):
            t0, c0 = time.perf_counter(), time.process_time()
            if args.method == "structured":
                theta = structured_ntk(weights, biases, x, args.wstd, args.bstd)
            else:
                theta = empirical_ntk(model, params, x, max(1, args.outputs_per_step), max(1, args.blocks))
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            best = dt if best is None else min(best, dt)
            best_cpu = dc if best_cpu is None else min(best_cpu, dc)

    np.save(args.out, theta.numpy().astype(np.float64))
    print(json.dumps({
        "seconds": best,
        "cpu_seconds": best_cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__,
        "threads": threads,
        "N": int(x.shape[0]),
        "params": int(n_params),
        "method": "structured (per-layer Grams)" if args.method == "structured" else f"jacobian contraction ({API} vmap(jacrev))",
    }))


if __name__ == "__main__":
    main()
