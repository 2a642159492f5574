"""PyTorch peer for bench/train.ts: training throughput (examples/s) of the MLP 784-1024-1024-10 (ReLU, NTK
parameterization written as in ntk-l2: z = (sigma_w/sqrt(n_in)) h @ W), SGD with L2 added to the gradient
(weight_decay = lambda, i.e. the gradient of (lambda/2)|theta|^2), MSE loss (1/2b) sum |f - y|^2, batch 128, float32.

Usage: /usr/bin/python3 bench/train_torch.py [--steps 200] [--threads 2] [--batch 128]
Prints one JSON line. Without torch it prints {"skipped": ...} and exits 0.
"""
import argparse
import json
import os
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    a = p.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(a.threads))
    try:
        import torch
    except ImportError:
        print(json.dumps({"skipped": "PyTorch not found: install Debian's python3-torch (sudo apt-get install python3-torch) and run with /usr/bin/python3"}))
        return
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    widths = [784, 1024, 1024, 10]
    s = 2.0 ** 0.5
    ws = [torch.randn(widths[i], widths[i + 1], requires_grad=True) for i in range(3)]

    def f(x):
        h = x
        for i, w in enumerate(ws):
            h = (s / widths[i] ** 0.5) * (h @ w)
            if i < 2:
                h = torch.relu(h)
        return h

    opt = torch.optim.SGD(ws, lr=0.5, momentum=0.0, weight_decay=1e-3)
    n = 2048
    x = torch.randn(n, 784)
    y = torch.randn(n, 10)

    def step(i):
        idx = torch.randint(0, n, (a.batch,))
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        loss = ((f(xb) - yb) ** 2).sum() / (2 * a.batch)
        loss.backward()
        opt.step()

    for i in range(10):
        step(i)
    t0 = time.perf_counter()
    for i in range(a.steps):
        step(i)
    dt = time.perf_counter() - t0
    print(json.dumps({"examples_per_second": a.steps * a.batch / dt, "seconds": dt, "steps": a.steps, "batch": a.batch, "threads": a.threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
