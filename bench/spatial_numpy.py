"""numpy peer for bench/spatial.ts: the same analytic NTK recursion of a ReLU CNN on images, float64.

Network (NTK parameterization, no biases, w_std = sqrt(2) everywhere):
  conv 3x3 SAME, relu, conv 3x3 SAME, relu, conv 3x3 SAME, relu, READOUT, dense
READOUT is 'flatten' (the kernel needs only the spatial diagonal K(s, s): P = H*W entries per pair) or 'gap'
(global average pooling: every position pair K(s, t), P = (H*W)^2 per pair), as neural-tangents' stax.

Vectorised: the pairs are processed in blocks of rows I x columns J (J >= I: the kernel is symmetric, each block
is written to (I, J) and (J, I)); within a block every layer is a handful of whole-array numpy operations
(the conv stencil as 3 + 3 shifted slices of zero-padded arrays, columns then rows, ReLU's arc-cosine formulas elementwise). The self
parts K(x, x) of every point are propagated once; the diagonal of the result comes from them (theta = 0 formulas).

Usage: python3 spatial_numpy.py X.npy flatten|gap REPS  -> JSON {seconds, all, checksum, k, t (file paths)}
"""
import json, sys, time
import numpy as np

W2 = 2.0  # w_std^2
DEPTH = 3  # conv layers


def box_diag(a):
    """Conv (3x3, SAME, stride 1) of a 'diagonal' record [..., H, W]: mean over the 9 offsets, zero padding.
    Separably: the sum over the 3 column offsets, then over the 3 row offsets (6 shifted adds, not 9)."""
    h, w = a.shape[-2:]
    p = np.zeros(a.shape[:-2] + (h, w + 2))
    p[..., 1:-1] = a
    c = p[..., 0:w] + p[..., 1:w + 1]
    c += p[..., 2:w + 2]
    q = np.zeros(a.shape[:-2] + (h + 2, w))
    q[..., 1:-1, :] = c
    out = q[..., 0:h, :] + q[..., 1:h + 1, :]
    out += q[..., 2:h + 2, :]
    out *= 1.0 / 9.0
    return out


def box_full(a):
    """Conv of a 'full' record [..., H, W, H, W]: K'(q1, q2) = mean_o K(q1 + o, q2 + o), zero padding; separably
    (both positions shifted by the same column offset, summed, then by the same row offset)."""
    h, w = a.shape[-2:]
    p = np.zeros(a.shape[:-4] + (h, w + 2, h, w + 2))
    p[..., 1:-1, :, 1:-1] = a
    c = p[..., 0:w, :, 0:w] + p[..., 1:w + 1, :, 1:w + 1]
    c += p[..., 2:w + 2, :, 2:w + 2]
    q = np.zeros(a.shape[:-4] + (h + 2, w, h + 2, w))
    q[..., 1:-1, :, 1:-1, :] = c
    out = q[..., 0:h, :, 0:h, :] + q[..., 1:h + 1, :, 1:h + 1, :]
    out += q[..., 2:h + 2, :, 2:h + 2, :]
    out *= 1.0 / 9.0
    return out


def relu_cross(k, t, norm):
    """ReLU on pair entries with norm = sqrt(var1 * var2) (variances before the layer)."""
    # a zero-variance position (MNIST's blank border) has u or v = 0: cos taken as 0, as ntk-l2 does
    cos = np.divide(k, norm, out=np.zeros_like(k), where=norm > 0)
    np.clip(cos, -1.0, 1.0, out=cos)
    theta = np.arccos(cos)
    sin = np.sqrt(np.maximum(0.0, 1.0 - cos * cos))
    k_new = norm * (sin + (np.pi - theta) * cos) / (2 * np.pi)
    t_new = t * ((np.pi - theta) / (2 * np.pi))
    return k_new, t_new


def self_parts(x, full):
    """K(x, x), Theta(x, x) of every point through the network, and the variances before each ReLU ([N, H, W])."""
    n, h, w, c = x.shape
    xs = x.reshape(n, h * w, c)
    if full:
        k = np.einsum('nsc,ntc->nst', xs, xs).reshape(n, h, w, h, w) / c
    else:
        k = np.einsum('nsc,nsc->ns', xs, xs).reshape(n, h, w) / c
    t = np.zeros_like(k)
    variances = []
    for _ in range(DEPTH):
        k = W2 * (box_full(k) if full else box_diag(k))
        t = W2 * (box_full(t) if full else box_diag(t)) + k
        if full:
            d = np.einsum('nijij->nij', k).copy()  # (s, s) entries: the variances
            dt = np.einsum('nijij->nij', t).copy()
            variances.append(d)
            norm = np.sqrt(d[:, :, :, None, None] * d[:, None, None, :, :])
            k, t = relu_cross(k, t, norm)
            # the (s, s) entries by the theta = 0 formulas
            kd = np.einsum('nijij->nij', k)
            td = np.einsum('nijij->nij', t)
            kd[...] = d / 2
            td[...] = dt / 2
        else:
            variances.append(k.copy())
            k = k / 2
            t = t / 2
    if full:
        k = k.mean(axis=(1, 2, 3, 4))
        t = t.mean(axis=(1, 2, 3, 4))
    else:
        k = k.mean(axis=(1, 2))
        t = t.mean(axis=(1, 2))
    k = W2 * k
    t = W2 * t + k
    return k, t, variances


def kernel(x, readout, block):
    full = readout == 'gap'
    n, h, w, c = x.shape
    xs = x.reshape(n, h * w, c)
    kd, td, variances = self_parts(x, full)
    K = np.empty((n, n))
    T = np.empty((n, n))
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        for j0 in range(i0, n, block):
            j1 = min(n, j0 + block)
            if full:
                k = np.einsum('isc,jtc->ijst', xs[i0:i1], xs[j0:j1]).reshape(i1 - i0, j1 - j0, h, w, h, w) / c
            else:
                k = np.einsum('isc,jsc->ijs', xs[i0:i1], xs[j0:j1]).reshape(i1 - i0, j1 - j0, h, w) / c
            t = np.zeros_like(k)
            for layer in range(DEPTH):
                k = W2 * (box_full(k) if full else box_diag(k))
                t = W2 * (box_full(t) if full else box_diag(t)) + k
                v = variances[layer]
                if full:
                    norm = np.sqrt(v[i0:i1, None, :, :, None, None] * v[None, j0:j1, None, None, :, :])
                else:
                    norm = np.sqrt(v[i0:i1, None] * v[None, j0:j1])
                k, t = relu_cross(k, t, norm)
            axes = (2, 3, 4, 5) if full else (2, 3)
            k = W2 * k.mean(axis=axes)
            t = W2 * t.mean(axis=axes) + k
            K[i0:i1, j0:j1] = k
            T[i0:i1, j0:j1] = t
            K[j0:j1, i0:i1] = k.T
            T[j0:j1, i0:i1] = t.T
    K[np.diag_indices(n)] = kd
    T[np.diag_indices(n)] = td
    return K, T


def main():
    x = np.load(sys.argv[1])
    readout = sys.argv[2]
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    out_prefix = sys.argv[4] if len(sys.argv) > 4 else None
    s = x.shape[1] * x.shape[2]
    # blocks of pairs with about 2^21 entries per array (16 MiB): large enough to amortise numpy's per-call cost
    per_pair = s * s if readout == 'gap' else s
    block = max(1, int((2 ** 21 / per_pair) ** 0.5))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        K, T = kernel(x, readout, block)
        times.append(time.perf_counter() - t0)
    res = {"seconds": min(times), "all": times, "block": block, "checksum": float(T.sum())}
    if out_prefix:
        np.save(out_prefix + '_k.npy', K)
        np.save(out_prefix + '_t.npy', T)
    print(json.dumps(res))


if __name__ == '__main__':
    main()
