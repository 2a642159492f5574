"""PyTorch CUDA peer for bench/gpu.sh: the training step of bench/train_torch.py (MLP 784-1024-1024-10, ReLU,
NTK parameterization z = (sigma_w/sqrt(n_in)) h @ W, SGD with weight_decay = lambda, MSE (1/2b) sum |f - y|^2,
float32), with the data and the weights on the GPU. Examples/s over --steps steps after 10 warm-up steps, the
clock read after torch.cuda.synchronize(). Prints one JSON line; without CUDA it prints {"skipped": ...}.

Usage: python3 bench/gpu/train_torch_cuda.py [--steps 200] [--batch 128]
"""
import argparse
import json
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=128)
    a = p.parse_args()
    try:
        import torch
    except ImportError:
        print(json.dumps({"skipped": "PyTorch not found"}))
        return
    if not torch.cuda.is_available():
        print(json.dumps({"skipped": "torch.cuda.is_available() is False"}))
        return
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 products, as tfjs computes
    torch.manual_seed(0)
    widths = [784, 1024, 1024, 10]
    s = 2.0 ** 0.5
    ws = [torch.randn(widths[i], widths[i + 1], device=dev, requires_grad=True) for i in range(3)]

    def f(x):
        h = x
        for i, w in enumerate(ws):
            h = (s / widths[i] ** 0.5) * (h @ w)
            if i < 2:
                h = torch.relu(h)
        return h

    opt = torch.optim.SGD(ws, lr=0.5, momentum=0.0, weight_decay=1e-3)
    n = max(2048, 4 * a.batch)
    x = torch.randn(n, 784, device=dev)
    y = torch.randn(n, 10, device=dev)

    def step():
        idx = torch.randint(0, n, (a.batch,), device=dev)
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        loss = ((f(xb) - yb) ** 2).sum() / (2 * a.batch)
        loss.backward()
        opt.step()

    for _ in range(10):
        step()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    print(json.dumps({"backend": "torch-cuda", "examples_per_second": a.steps * a.batch / dt, "ms_per_step": 1000 * dt / a.steps, "steps": a.steps, "batch": a.batch, "device": torch.cuda.get_device_name(0), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
