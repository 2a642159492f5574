"""scipy peer for bench/flow.ts: the same L2 flow in the eigenbasis of Θ/n, integrated per λ with
solve_ivp (RK45, rtol 1e-10, atol 1e-12). argv: dir with kappa.npy (n), yT.npy (n×k), lambdas.npy, times.npy; depth.
Prints JSON {seconds_per_lambda, lambdas_run, train_mse_last}."""
import json, sys, time
import numpy as np
from scipy.integrate import solve_ivp

d = sys.argv[1]
depth = int(sys.argv[2])
count = int(sys.argv[3])
kappa = np.load(f"{d}/kappa.npy")
yT = np.load(f"{d}/yT.npy")
lambdas = np.load(f"{d}/lambdas.npy")[:count]
times = np.load(f"{d}/times.npy")
n, k = yT.shape
a = 2 * (depth - 1)
out = []
t0 = time.perf_counter()
for lam in lambdas:
    def rhs(t, y):
        f = y.reshape(n, k)
        return (-(kappa * np.exp(-a * lam * t))[:, None] * (f - yT) - depth * lam * f).ravel()
    sol = solve_ivp(rhs, (0.0, times[-1]), np.zeros(n * k), t_eval=times, method="RK45", rtol=1e-10, atol=1e-12)
    f = sol.y.T.reshape(len(times), n, k)
    out.append(float(((f[-1] - yT) ** 2).sum() / n))
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds_per_lambda": elapsed / len(lambdas), "lambdas_run": len(lambdas), "train_mse_last": out}))
