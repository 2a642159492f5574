"""PyTorch peer for bench/train.ts: training throughput (examples/s) of the networks ntk-l2's bench trains, float32,
written as ntk-l2 writes them (no biases; NTK parameterization: a layer computes (sigma_w/sqrt(fan_in)) h @ W, the
scale factors do not change the cost):

  mlp  784-w-w-10, ReLU, SGD (no momentum) with L2 added to the gradient (weight_decay = lambda), MSE (1/2b) sum |f-y|^2
  cnn  the 'cnn' setup (src/experiments/paperSetups.ts): conv3x3(c) > relu > avgpool2 > conv3x3(2c) > relu > avgpool2 >
       flatten > dense(10), 14x14x1 images
  wrn  the 'wrn' setup: conv3x3(c) stem; pre-activation stages (BN > ReLU > conv > BN > ReLU > conv) of widths c, 2c, 4c,
       the 2nd and 3rd down-sampling by stride 2 with a 1x1 projection; BN > ReLU > global average pool > dense(10).
       BatchNorm in training mode without affine parameters (ntk-l2's default), 14x14x1 images
  cnn and wrn: SGD momentum 0.9, lr 0.1, weight_decay = lambda, softmax cross-entropy.

Usage: /usr/bin/python3 bench/train_torch.py --model mlp|cnn|wrn --width W [--steps 200] [--threads 2] [--batch 128]
       /usr/bin/python3 bench/train_torch.py --peak   (numpy float32 2048x2048 matmul GFLOP/s, best of 5)
Prints one JSON line. Without torch (or numpy for --peak) it prints {"skipped": ...} and exits 0.
"""
import argparse
import json
import os
import time


def peak():
    try:
        import numpy as np
    except ImportError:
        print(json.dumps({"skipped": "numpy not found"}))
        return
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2048, 2048), dtype=np.float32)
    b = rng.standard_normal((2048, 2048), dtype=np.float32)
    a @ b
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"gflops": 2 * 2048**3 / best / 1e9, "seconds": best, "numpy": np.__version__}))


def build(torch, model, width):
    nn = torch.nn
    s = 2.0**0.5

    class Scaled(nn.Module):
        """x -> (sigma/sqrt(fan_in)) * layer(x): the NTK parameterization, same cost as the plain layer."""

        def __init__(self, layer, fan_in, sigma=s):
            super().__init__()
            self.layer, self.c = layer, sigma / fan_in**0.5
            nn.init.normal_(layer.weight)

        def forward(self, x):
            return self.c * self.layer(x)

    def conv(cin, cout, k=3, stride=1):
        return Scaled(nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False), cin * k * k)

    if model == "mlp":
        return nn.Sequential(
            Scaled(nn.Linear(784, width, bias=False), 784), nn.ReLU(),
            Scaled(nn.Linear(width, width, bias=False), width), nn.ReLU(),
            Scaled(nn.Linear(width, 10, bias=False), width),
        )
    if model == "cnn":
        c = width
        return nn.Sequential(
            conv(1, c), nn.ReLU(), nn.AvgPool2d(2),
            conv(c, 2 * c), nn.ReLU(), nn.AvgPool2d(2),
            nn.Flatten(), Scaled(nn.Linear(3 * 3 * 2 * c, 10, bias=False), 3 * 3 * 2 * c, 1.0),
        )

    def bn(ch):
        return nn.BatchNorm2d(ch, affine=False, momentum=0.01, eps=1e-5)

    class Stage(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.pre = nn.Sequential(bn(cin), nn.ReLU())
            self.body = nn.Sequential(conv(cin, cout, 3, stride), bn(cout), nn.ReLU(), conv(cout, cout))
            self.proj = None if cin == cout and stride == 1 else conv(cin, cout, 1, stride)

        def forward(self, x):
            if self.proj is None:  # residual[bn > relu > body]
                return x + self.body(self.pre(x))
            h = self.pre(x)  # bn > relu > parallel[body | 1x1 projection] > fanInSum
            return self.body(h) + self.proj(h)

    c = width
    return nn.Sequential(
        conv(1, c), Stage(c, c, 1), Stage(c, 2 * c, 2), Stage(2 * c, 4 * c, 2),
        bn(4 * c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), Scaled(nn.Linear(4 * c, 10, bias=False), 4 * c, 1.0),
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["mlp", "cnn", "wrn"], default="mlp")
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--peak", action="store_true")
    a = p.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
    if a.peak:
        return peak()
    try:
        import torch
    except ImportError:
        print(json.dumps({"skipped": "PyTorch not found: install Debian's python3-torch (sudo apt-get install python3-torch) and run with /usr/bin/python3"}))
        return
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = build(torch, a.model, a.width)
    net.train()
    n = 2048
    if a.model == "mlp":
        x = torch.randn(n, 784)
        y = torch.randn(n, 10)
        opt = torch.optim.SGD(net.parameters(), lr=0.5, momentum=0.0, weight_decay=1e-3)

        def loss_of(out, yb):
            return ((out - yb) ** 2).sum() / (2 * a.batch)
    else:
        x = torch.randn(n, 1, 14, 14)
        y = torch.randint(0, 10, (n,))
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
        xent = torch.nn.CrossEntropyLoss()

        def loss_of(out, yb):
            return xent(out, yb)

    def step():
        idx = torch.randint(0, n, (a.batch,))
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        loss = loss_of(net(xb), yb)
        loss.backward()
        opt.step()

    for _ in range(10):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = time.perf_counter() - t0
    print(json.dumps({"examples_per_second": a.steps * a.batch / dt, "seconds": dt, "steps": a.steps, "batch": a.batch,
                      "threads": a.threads, "model": a.model, "width": a.width, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
