"""numpy peer for bench/kernel.ts: the same analytic ReLU NTK recursion (NTK parameterization, no biases,
wStd = sqrt(2)), on the same inputs. Reads X from argv[1] (.npy), prints JSON {seconds, cpu_seconds (user + system of all the process's threads), checksum, sample}."""
import json, sys, time
import numpy as np

def relu_ntk(x, depth, w_std):
    d = x.shape[1]
    w2 = w_std ** 2
    k = x @ x.T / d
    # first Dense
    k = w2 * k
    t = k.copy()
    for _ in range(depth - 1):
        diag = np.sqrt(np.diag(k))
        norm = np.outer(diag, diag)
        cos = np.clip(k / norm, -1.0, 1.0)
        theta = np.arccos(cos)
        sin = np.sqrt(np.maximum(0.0, 1.0 - cos * cos))
        kphi = norm * (sin + (np.pi - theta) * cos) / (2 * np.pi)
        dphi = (np.pi - theta) / (2 * np.pi)
        k = w2 * kphi
        t = w2 * t * dphi + k
    return k, t

x = np.load(sys.argv[1])
depth = int(sys.argv[2])
w_std = float(sys.argv[3])
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 3
times = []
cpus = []
for _ in range(reps):
    t0 = time.perf_counter()
    c0 = time.process_time()
    k, t = relu_ntk(x, depth, w_std)
    cpus.append(time.process_time() - c0)
    times.append(time.perf_counter() - t0)
out = {"seconds": sorted(times)[len(times) // 2], "all": times, "cpu_seconds": sorted(cpus)[len(cpus) // 2], "checksum": float(t.sum()), "t01": float(t[0, 1]), "t00": float(t[0, 0])}
print(json.dumps(out))
