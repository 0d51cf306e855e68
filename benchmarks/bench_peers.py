"""The engine against torch and the NumPy autograd libraries a user would pick instead.

Six workloads, each written once per library with the same data, the same initial weights and the same
final values (checked against torch's, so a fast wrong answer cannot count):

- ``W1`` the seed's training loop: Linear(3, 1) + Flatten on the features (x, x^2, x^3) of 2000 points,
  MSELoss(reduction='sum'), 2000 steps of manual SGD (lr 1e-6). Tiny tensors: per-op overhead.
- ``W2`` an MLP 784-512-512-10 (ReLU, cross-entropy), batch 128, 200 SGD steps (lr 0.01). Matmuls; peak memory.
- ``W3`` per-op overhead: a chain of 100 ops (``* 1.0001``, ``+ 0.001``, ``sin``, ``exp``) on a (3,) tensor and
  ``sum().backward()``, 200 times.
- ``W4`` ``(x.sin() * x.exp() + x * x).sum()`` forward and backward on 4M float32 elements, 5 times.
- ``W5`` ``(a @ b).sum()`` forward and backward, 1024x1024 float32, 5 times.
- ``W6`` 1000 x (a scalar leaf, ``* 3.0``, backward).

Libraries: ``engine`` (reference_engine), ``torch`` (CPU, default threads), ``mygrad``, ``autograd`` (HIPS) and
``numpy`` (the same math with the backward written by hand: the floor for a NumPy engine). MyGrad and HIPS
autograd are the optional ``bench`` extra (``pip install -e .[bench]``); a library that is not installed is
skipped with a line saying so.

Each (round, workload, library) runs in a fresh Python process, so no library warms another's caches or shares
its allocator; the libraries of one workload run back to back within a round (in a rotating order), and each
ratio is that library's time over torch's time of the same round. The table shows the median over rounds.
Inside a process, the workload runs once at a small size (warm-up: imports, first-call caches), its data is
made, then it runs once timed (turning the shared NumPy data into the library's tensors is part of the time).
Peak memory (W2): the process's peak resident set (``VmHWM``, reset through ``/proc/self/clear_refs`` just before
the timed run) minus its resident set at that moment, for every library alike; Linux only.

Run::

    python benchmarks/bench_peers.py [--repeats 3] [--json reports/bench_peers.json] [--check REF.json]
    python benchmarks/bench_peers.py --smoke          # tiny sizes, one process per library, seconds

``--check REF.json`` lists every ratio that got more than 20% worse than in REF (a note for the reader: the exit
status stays 0, timings on a shared machine are not pass/fail material).
"""

# ruff: noqa: PLC0415
# (each worker process imports only the library it measures: the imports are inside the functions)
from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6")
LIBRARIES = ("engine", "torch", "mygrad", "autograd", "numpy")
TITLES = {
    "W1": "seed training loop (Linear(3,1)+Flatten, MSELoss(sum), 2000 SGD steps)",
    "W2": "MLP 784-512-512-10, batch 128, 200 SGD steps",
    "W3": "per-op overhead: 100-op chain on a (3,) tensor + backward, x200",
    "W4": "(x.sin()*x.exp()+x*x).sum() fwd+bwd, 4M float32, x5",
    "W5": "(a@b).sum() fwd+bwd, 1024x1024 float32, x5",
    "W6": "1000 x (scalar leaf, * 3.0, backward)",
}
# sizes: full run / --smoke / warm-up inside each worker
SIZES: dict[str, dict[str, dict[str, int]]] = {
    "full": {
        "W1": {"n": 2000, "steps": 2000},
        "W2": {"d_in": 784, "hidden": 512, "batch": 128, "steps": 200},
        "W3": {"ops": 100, "reps": 200},
        "W4": {"n": 4_000_000, "reps": 5},
        "W5": {"n": 1024, "reps": 5},
        "W6": {"reps": 1000},
    },
    "smoke": {
        "W1": {"n": 50, "steps": 20},
        "W2": {"d_in": 20, "hidden": 16, "batch": 8, "steps": 3},
        "W3": {"ops": 8, "reps": 3},
        "W4": {"n": 1000, "reps": 2},
        "W5": {"n": 16, "reps": 2},
        "W6": {"reps": 10},
    },
}
WARMUP = {
    "W1": {"n": 50, "steps": 5},
    "W2": {"d_in": 20, "hidden": 16, "batch": 8, "steps": 2},
    "W3": {"ops": 8, "reps": 2},
    "W4": {"n": 1000, "reps": 1},
    "W5": {"n": 16, "reps": 1},
    "W6": {"reps": 5},
}
# final values agree with torch's within this relative tolerance (float32 over many steps, other kernels'
# summation orders: the engine mirrors torch's order, the peers use NumPy's)
RTOL = {"W1": 1e-3, "W2": 2e-3, "W3": 1e-4, "W4": 1e-3, "W5": 1e-3, "W6": 0.0}
# targets of the performance issue, engine ratio to the named library (same round, median)
TARGETS = [
    ("W1", "torch", 0.7),
    ("W3", "torch", 1.0),
    ("W6", "torch", 0.5),
    ("W4", "numpy", 1.2),
    ("W5", "numpy", 1.05),
]
TARGETS += [(w, peer, 1.0) for w in WORKLOADS for peer in ("mygrad", "autograd")]
MEMORY_TARGET = 1.2  # W2 peak memory, engine / torch


# ---------------------------------------------------------------- shared data (float32, same on every library)


@functools.cache
def _w1_data(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x = np.linspace(-math.pi, math.pi, n, dtype=np.float32)
    y = np.sin(x)
    xx = np.stack([x, x * x, x * x * x], axis=1).astype(np.float32)
    rng = np.random.default_rng(1)
    w0 = (rng.standard_normal((1, 3)) * 0.5).astype(np.float32)
    b0 = (rng.standard_normal(1) * 0.5).astype(np.float32)
    return xx, y, w0, b0


@functools.cache
def _w2_data(d_in: int, hidden: int, batch: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, d_in)).astype(np.float32)
    target = rng.integers(0, 10, batch)
    params = []
    for fan_in, fan_out in ((d_in, hidden), (hidden, hidden), (hidden, 10)):
        bound = 1.0 / math.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))  # torch's (out, in)
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return x, target, params


def _x3(n: int = 3) -> np.ndarray:
    return np.linspace(0.1, 0.7, n, dtype=np.float32)


@functools.cache
def _w4_data(n: int) -> np.ndarray:
    return np.random.default_rng(4).standard_normal(n).astype(np.float32)


@functools.cache
def _w5_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    return rng.standard_normal((n, n)).astype(np.float32), rng.standard_normal((n, n)).astype(np.float32)


def _chain_ops(ops: int) -> list[int]:
    return [i % 4 for i in range(ops)]  # 0: * 1.0001, 1: + 0.001, 2: sin, 3: exp


def _summary(*arrays: Any) -> list[float]:
    """A few final numbers per workload: enough to show the math is the same, small enough to print."""
    out: list[float] = []
    for a in arrays:
        a = np.asarray(a, dtype=np.float64)
        out += [float(a.sum()), float(np.abs(a).max())]
    return out


# ---------------------------------------------------------------- engine and torch: one code, `lib` is the module


def torchlike(lib: Any, name: str, size: dict[str, int]) -> list[float]:
    if name == "W1":
        xx_np, y_np, w0, b0 = _w1_data(size["n"])
        xx, y = lib.tensor(xx_np), lib.tensor(y_np)
        model = lib.nn.Sequential(lib.nn.Linear(3, 1), lib.nn.Flatten(0, 1))
        with lib.no_grad():
            model[0].weight.copy_(lib.tensor(w0))
            model[0].bias.copy_(lib.tensor(b0))
        loss_fn = lib.nn.MSELoss(reduction="sum")
        lr = 1e-6
        for _ in range(size["steps"]):
            loss = loss_fn(model(xx), y)
            model.zero_grad()
            loss.backward()
            with lib.no_grad():
                for param in model.parameters():
                    param -= lr * param.grad
        return _summary(loss.detach().numpy(), model[0].weight.detach().numpy(), model[0].bias.detach().numpy())
    if name == "W2":
        x_np, t_np, params = _w2_data(size["d_in"], size["hidden"], size["batch"])
        model = lib.nn.Sequential(
            lib.nn.Linear(size["d_in"], size["hidden"]),
            lib.nn.ReLU(),
            lib.nn.Linear(size["hidden"], size["hidden"]),
            lib.nn.ReLU(),
            lib.nn.Linear(size["hidden"], 10),
        )
        with lib.no_grad():
            for p, v in zip(model.parameters(), params, strict=True):
                p.copy_(lib.tensor(v))
        x, target = lib.tensor(x_np), lib.tensor(t_np)
        opt = lib.optim.SGD(model.parameters(), lr=0.01)
        for _ in range(size["steps"]):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(x), target)
            loss.backward()
            opt.step()
        return _summary(loss.detach().numpy(), model[4].weight.detach().numpy())
    if name == "W3":
        x = lib.tensor(_x3(), requires_grad=True)
        for _ in range(size["reps"]):
            x.grad = None
            y = x
            for op in _chain_ops(size["ops"]):
                y = y * 1.0001 if op == 0 else y + 0.001 if op == 1 else y.sin() if op == 2 else y.exp()
            y.sum().backward()
        return _summary(x.grad.numpy())
    if name == "W4":
        x = lib.tensor(_w4_data(size["n"]), requires_grad=True)
        for _ in range(size["reps"]):
            x.grad = None
            loss = (x.sin() * x.exp() + x * x).sum()
            loss.backward()
        return _summary(loss.detach().numpy(), x.grad.numpy())
    if name == "W5":
        a_np, b_np = _w5_data(size["n"])
        a, b = lib.tensor(a_np, requires_grad=True), lib.tensor(b_np, requires_grad=True)
        for _ in range(size["reps"]):
            a.grad = b.grad = None
            loss = (a @ b).sum()
            loss.backward()
        return _summary(loss.detach().numpy(), a.grad.numpy(), b.grad.numpy())
    # W6
    total = 0.0
    for i in range(size["reps"]):
        x = lib.tensor(float(i % 7), requires_grad=True)
        (x * 3.0).backward()
        total += x.grad.item()
    return [total]


# ---------------------------------------------------------------- MyGrad


def with_mygrad(name: str, size: dict[str, int]) -> list[float]:
    import mygrad as mg
    from mygrad.nnet.activations import relu
    from mygrad.nnet.losses import softmax_crossentropy

    if name == "W1":
        xx_np, y_np, w0, b0 = _w1_data(size["n"])
        xx = mg.tensor(xx_np, constant=True)
        w, b = mg.tensor(w0), mg.tensor(b0)
        lr = np.float32(1e-6)
        for _ in range(size["steps"]):
            pred = (mg.matmul(xx, w.T) + b).reshape(-1)
            loss = ((pred - y_np) ** 2).sum()
            loss.backward()
            w.data -= lr * w.grad
            b.data -= lr * b.grad
        return _summary(loss.data, w.data, b.data)
    if name == "W2":
        x_np, t_np, params = _w2_data(size["d_in"], size["hidden"], size["batch"])
        ps = [mg.tensor(p) for p in params]
        lr = np.float32(0.01)
        for _ in range(size["steps"]):
            h = relu(mg.matmul(x_np, ps[0].T) + ps[1])
            h = relu(mg.matmul(h, ps[2].T) + ps[3])
            loss = softmax_crossentropy(mg.matmul(h, ps[4].T) + ps[5], t_np)
            loss.backward()
            for p in ps:
                p.data -= lr * p.grad
        return _summary(loss.data, ps[4].data)
    if name == "W3":
        x = mg.tensor(_x3())
        for _ in range(size["reps"]):
            y = x
            for op in _chain_ops(size["ops"]):
                y = y * 1.0001 if op == 0 else y + 0.001 if op == 1 else mg.sin(y) if op == 2 else mg.exp(y)
            y.sum().backward()
        return _summary(x.grad)
    if name == "W4":
        x = mg.tensor(_w4_data(size["n"]))
        for _ in range(size["reps"]):
            loss = (mg.sin(x) * mg.exp(x) + x * x).sum()
            loss.backward()
        return _summary(loss.data, x.grad)
    if name == "W5":
        a_np, b_np = _w5_data(size["n"])
        a, b = mg.tensor(a_np), mg.tensor(b_np)
        for _ in range(size["reps"]):
            loss = mg.matmul(a, b).sum()
            loss.backward()
        return _summary(loss.data, a.grad, b.grad)
    total = 0.0
    for i in range(size["reps"]):
        x = mg.tensor(np.float32(i % 7))
        (x * 3.0).backward()
        total += float(x.grad)
    return [total]


# ---------------------------------------------------------------- HIPS autograd


def _autograd_mlp(size: dict[str, int]) -> list[float]:
    import autograd.numpy as anp
    from autograd import value_and_grad
    from autograd.scipy.special import logsumexp

    x, t, params = _w2_data(size["d_in"], size["hidden"], size["batch"])
    rows = np.arange(len(t))

    def loss_fn(ps: list[Any]) -> Any:
        h = anp.maximum(anp.dot(x, ps[0].T) + ps[1], 0.0)
        h = anp.maximum(anp.dot(h, ps[2].T) + ps[3], 0.0)
        z = anp.dot(h, ps[4].T) + ps[5]
        return anp.mean(logsumexp(z, axis=1) - z[rows, t])

    step = value_and_grad(loss_fn)
    ps = list(params)
    lr = np.float32(0.01)
    for _ in range(size["steps"]):
        loss, gs = step(ps)
        ps = [p - lr * g for p, g in zip(ps, gs, strict=True)]
    return _summary(loss, ps[4])


def with_autograd(name: str, size: dict[str, int]) -> list[float]:
    import autograd.numpy as anp
    from autograd import grad, value_and_grad

    if name == "W1":
        xx, y, w0, b0 = _w1_data(size["n"])

        def loss_fn(params: tuple[Any, Any]) -> Any:
            w, b = params
            pred = (anp.dot(xx, w.T) + b).reshape(-1)
            return anp.sum((pred - y) ** 2)

        step = value_and_grad(loss_fn)
        w, b = w0, b0
        lr = np.float32(1e-6)
        for _ in range(size["steps"]):
            loss, (gw, gb) = step((w, b))
            w, b = w - lr * gw, b - lr * gb
        return _summary(loss, w, b)
    if name == "W2":
        return _autograd_mlp(size)
    if name == "W3":
        ops = _chain_ops(size["ops"])

        def chain(x: Any) -> Any:
            y = x
            for op in ops:
                y = y * 1.0001 if op == 0 else y + 0.001 if op == 1 else anp.sin(y) if op == 2 else anp.exp(y)
            return anp.sum(y)

        g = grad(chain)
        x = _x3()
        for _ in range(size["reps"]):
            gx = g(x)
        return _summary(gx)
    if name == "W4":
        step = value_and_grad(lambda x: anp.sum(anp.sin(x) * anp.exp(x) + x * x))
        x = _w4_data(size["n"])
        for _ in range(size["reps"]):
            loss, gx = step(x)
        return _summary(loss, gx)
    if name == "W5":
        step = value_and_grad(lambda ab: anp.sum(anp.dot(ab[0], ab[1])))
        a, b = _w5_data(size["n"])
        for _ in range(size["reps"]):
            loss, (ga, gb) = step((a, b))
        return _summary(loss, ga, gb)
    g = grad(lambda x: x * 3.0)
    total = 0.0
    for i in range(size["reps"]):
        total += float(g(np.float32(i % 7)))
    return [total]


# ---------------------------------------------------------------- hand-written NumPy (forward and backward)


def with_numpy(name: str, size: dict[str, int]) -> list[float]:
    if name == "W1":
        xx, y, w, b = _w1_data(size["n"])
        lr = np.float32(1e-6)
        for _ in range(size["steps"]):
            diff = (xx @ w.T + b).reshape(-1) - y
            loss = np.dot(diff, diff)
            g = 2 * diff
            w = w - lr * (g @ xx)[None, :]
            b = b - lr * g.sum(keepdims=True)
        return _summary(loss, w, b)
    if name == "W2":
        x, t, ps = _w2_data(size["d_in"], size["hidden"], size["batch"])
        rows = np.arange(len(t))
        lr = np.float32(0.01)
        for _ in range(size["steps"]):
            z1 = x @ ps[0].T + ps[1]
            h1 = np.maximum(z1, 0)
            z2 = h1 @ ps[2].T + ps[3]
            h2 = np.maximum(z2, 0)
            z = h2 @ ps[4].T + ps[5]
            m = z.max(axis=1, keepdims=True)
            e = np.exp(z - m)
            s = e.sum(axis=1, keepdims=True)
            loss = np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows, t])
            dz = e / s
            dz[rows, t] -= 1
            dz /= len(t)
            g = [None] * 6
            g[4], g[5] = dz.T @ h2, dz.sum(0)
            dh = (dz @ ps[4]) * (z2 > 0)
            g[2], g[3] = dh.T @ h1, dh.sum(0)
            dh = (dh @ ps[2]) * (z1 > 0)
            g[0], g[1] = dh.T @ x, dh.sum(0)
            ps = [p - lr * gi for p, gi in zip(ps, g, strict=True)]
        return _summary(loss, ps[4])
    if name == "W3":
        ops = _chain_ops(size["ops"])
        x = _x3()
        for _ in range(size["reps"]):
            saved = []
            y = x
            for op in ops:
                saved.append(y)
                y = (
                    y * np.float32(1.0001)
                    if op == 0
                    else y + np.float32(0.001)
                    if op == 1
                    else np.sin(y)
                    if op == 2
                    else np.exp(y)
                )
            g = np.ones_like(x)
            for op, inp in zip(reversed(ops), reversed(saved), strict=True):
                g = (
                    g * np.float32(1.0001)
                    if op == 0
                    else g
                    if op == 1
                    else g * np.cos(inp)
                    if op == 2
                    else g * np.exp(inp)
                )
        return _summary(g)
    if name == "W4":
        x = _w4_data(size["n"])
        for _ in range(size["reps"]):
            s, e = np.sin(x), np.exp(x)
            loss = (s * e + x * x).sum()
            g = np.cos(x) * e
            g += s * e
            g += 2 * x
        return _summary(loss, g)
    if name == "W5":
        a, b = _w5_data(size["n"])
        for _ in range(size["reps"]):
            loss = (a @ b).sum()
            ones = np.ones_like(a)
            ga, gb = ones @ b.T, a.T @ ones
        return _summary(loss, ga, gb)
    total = 0.0
    for i in range(size["reps"]):
        x = np.float32(i % 7)
        _ = x * np.float32(3.0)
        total += float(np.float32(3.0))
    return [total]


# ---------------------------------------------------------------- worker: one library, one process


def _available(lib: str) -> bool:
    if lib == "engine":
        return importlib.util.find_spec("reference_engine") is not None
    if lib == "numpy":
        return True
    return importlib.util.find_spec(lib) is not None


def _runner(lib: str) -> Callable[[str, dict[str, int]], list[float]]:
    if lib in ("engine", "baseline"):  # the baseline is another checkout's engine, found through PYTHONPATH
        import reference_engine

        return lambda name, size: torchlike(reference_engine, name, size)
    if lib == "torch":
        import torch

        if os.environ.get("BENCH_PEERS_THREADS", "0") != "0":
            torch.set_num_threads(int(os.environ["BENCH_PEERS_THREADS"]))
        return lambda name, size: torchlike(torch, name, size)
    return {"mygrad": with_mygrad, "autograd": with_autograd, "numpy": with_numpy}[lib]


def _rss_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _peak_run(fn: Callable[[], list[float]]) -> tuple[list[float], float, int | None]:
    """Run once timed; the peak resident set above the start, where Linux lets us reset the high-water mark."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        rss0 = _rss_kib("VmRSS")
    except OSError:
        rss0 = None
    t0 = time.perf_counter()
    values = fn()
    elapsed = time.perf_counter() - t0
    peak = None if rss0 is None else max(0, _rss_kib("VmHWM") - rss0) * 1024
    return values, elapsed, peak


def _prepare(name: str, size: dict[str, int]) -> None:
    if name == "W1":
        _w1_data(size["n"])
    elif name == "W2":
        _w2_data(size["d_in"], size["hidden"], size["batch"])
    elif name == "W4":
        _w4_data(size["n"])
    elif name == "W5":
        _w5_data(size["n"])


def worker(lib: str, names: list[str], mode: str) -> dict[str, Any]:
    run = _runner(lib)
    out: dict[str, Any] = {}
    for name in names:
        run(name, WARMUP[name])
        _prepare(name, SIZES[mode][name])  # the data is made before the clock starts (cached)
        values, elapsed, peak = _peak_run(lambda name=name: run(name, SIZES[mode][name]))
        out[name] = {"seconds": elapsed, "values": values, "peak_bytes": peak}
    return out


# ---------------------------------------------------------------- parent: rounds, ratios, table, JSON, check


def _spawn(lib: str, names: list[str], mode: str, threads: int, baseline: str | None) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, "--mode", mode, "--names", ",".join(names)]
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = (baseline if lib == "baseline" else root) + os.pathsep + env.get("PYTHONPATH", "")
    if threads:  # the same thread count for every library's BLAS (and torch's pool)
        env["BENCH_PEERS_THREADS"] = str(threads)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{lib} worker failed on {names}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _agree(values: list[float], ref: list[float], rtol: float) -> bool:
    return len(values) == len(ref) and all(
        math.isclose(v, r, rel_tol=rtol, abs_tol=rtol * max(1.0, abs(r))) for v, r in zip(values, ref, strict=True)
    )


def measure(
    libs: list[str], names: list[str], repeats: int, smoke: bool, threads: int = 1, baseline: str | None = None
) -> dict[str, Any]:
    mode = "smoke" if smoke else "full"
    rounds: list[dict[str, dict[str, Any]]] = []  # per round: name -> lib -> record
    for r in range(repeats):
        per: dict[str, dict[str, Any]] = {n: {} for n in names}
        order = libs[r % len(libs) :] + libs[: r % len(libs)]  # rotate who runs first
        if smoke:  # one process per library runs every workload: seconds, not minutes
            for lib in order:
                for n, rec in _spawn(lib, names, mode, threads, baseline).items():
                    per[n][lib] = rec
        else:
            for n in names:
                for lib in order:
                    per[n][lib] = _spawn(lib, [n], mode, threads, baseline)[n]
                    print(f"  round {r + 1} {n} {lib:<8} {per[n][lib]['seconds']:.3f} s", file=sys.stderr, flush=True)
        rounds.append(per)
    results: dict[str, Any] = {}
    for n in names:
        res: dict[str, Any] = {"title": TITLES[n], "size": SIZES[mode][n], "libraries": {}}
        for lib in libs:
            secs = [rd[n][lib]["seconds"] for rd in rounds]
            ratios = [rd[n][lib]["seconds"] / rd[n]["torch"]["seconds"] for rd in rounds]
            agree = all(_agree(rd[n][lib]["values"], rd[n]["torch"]["values"], RTOL[n]) for rd in rounds)
            entry = {
                "seconds": secs,
                "median_seconds": statistics.median(secs),
                "ratio_to_torch": statistics.median(ratios),
                "ratios_per_round": ratios,
                "values": rounds[-1][n][lib]["values"],
                "agrees_with_torch": agree,
            }
            peaks = [rd[n][lib]["peak_bytes"] for rd in rounds]
            if n == "W2" and None not in peaks:
                entry["peak_bytes"] = statistics.median(peaks)
            res["libraries"][lib] = entry
        results[n] = res
    return results


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for n, peer, limit in TARGETS:
        libs = results.get(n, {}).get("libraries", {})
        if "engine" not in libs or peer not in libs:
            continue
        if peer == "torch":
            ratio = libs["engine"]["ratio_to_torch"]
        else:  # same round ratio engine / peer, median over rounds
            per = [e / p for e, p in zip(libs["engine"]["seconds"], libs[peer]["seconds"], strict=True)]
            ratio = statistics.median(per)
        out.append({"workload": n, "against": peer, "ratio": ratio, "limit": limit, "met": ratio <= limit})
    w2 = results.get("W2", {}).get("libraries", {})
    if "peak_bytes" in w2.get("engine", {}) and "peak_bytes" in w2.get("torch", {}):
        ratio = w2["engine"]["peak_bytes"] / max(1, w2["torch"]["peak_bytes"])
        out.append(
            {
                "workload": "W2 peak memory",
                "against": "torch",
                "ratio": ratio,
                "limit": MEMORY_TARGET,
                "met": ratio <= MEMORY_TARGET,
            }
        )
    return out


def print_table(results: dict[str, Any], libs: list[str]) -> None:
    print("median ratio to torch (same round); lower is better")
    print(f"{'workload':<9}" + "".join(f"{lib:>10}" for lib in libs) + f"{'torch s':>10}")
    for n, res in results.items():
        cells = []
        for lib in libs:
            e = res["libraries"][lib]
            cells.append(f"{e['ratio_to_torch']:>9.2f}{'' if e['agrees_with_torch'] else '!'}")
        print(f"{n:<9}" + "".join(f"{c:>10}" for c in cells) + f"{res['libraries']['torch']['median_seconds']:>10.3f}")
    w2 = results.get("W2", {}).get("libraries", {})
    if all("peak_bytes" in w2.get(lib, {}) for lib in libs):
        print(f"{'W2 peak':<9}" + "".join(f"{w2[lib]['peak_bytes'] / 2**20:>7.1f}MiB" for lib in libs))
    bad = [
        f"{n}/{lib}" for n, res in results.items() for lib, e in res["libraries"].items() if not e["agrees_with_torch"]
    ]
    if bad:
        print("! final values differ from torch's:", ", ".join(bad))


def check(results: dict[str, Any], ref_path: str) -> list[str]:
    """Ratios more than 20% worse than the reference run's."""
    with open(ref_path, encoding="utf-8") as fh:
        ref = json.load(fh)["results"]
    notes = []
    for n, res in results.items():
        for lib, e in res["libraries"].items():
            old = ref.get(n, {}).get("libraries", {}).get(lib, {}).get("ratio_to_torch")
            if old and lib != "torch" and e["ratio_to_torch"] > 1.2 * old:
                notes.append(f"{n} {lib}: ratio to torch {e['ratio_to_torch']:.2f}, reference {old:.2f}")
    return notes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="rounds; the table shows the median")
    ap.add_argument("--json", default="reports/bench_peers.json")
    ap.add_argument("--check", metavar="REF.json", help="list ratios more than 20%% worse than in this run")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, one process per library")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--libraries", default=",".join(LIBRARIES))
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for every library's BLAS and torch's pool (default 1: steady on a shared machine; "
        "0 leaves each library's default)",
    )
    ap.add_argument(
        "--baseline",
        metavar="CHECKOUT",
        help="also run the engine of another checkout (e.g. a git worktree of the previous commit) as 'baseline'",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="full", help=argparse.SUPPRESS)
    ap.add_argument("--names", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.names.split(","), args.mode)))
        return 0

    names = [n for n in args.workloads.split(",") if n]
    libs = []
    for lib in args.libraries.split(","):
        if _available(lib):
            libs.append(lib)
        else:
            print(f"skipping {lib}: not installed (pip install -e .[bench])")
    if args.baseline:
        libs.insert(1, "baseline")
    if "torch" not in libs:
        print("torch is the reference of every ratio and is not installed")
        return 1
    results = measure(libs, names, args.repeats, args.smoke, args.threads, args.baseline)
    import torch

    env = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": torch.__version__,
        "threads": args.threads or "library defaults",
        "baseline": args.baseline,
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        "versions": {lib: _version(lib) for lib in libs},
    }
    print(
        f"torch {env['torch']}, threads: {env['threads']}, {args.repeats} round(s), load average {env['load_average_1min']:.1f}"
    )
    print_table(results, libs)
    tg = targets(results)
    for t in tg:
        print(
            f"target {t['workload']} vs {t['against']}: {t['ratio']:.2f} <= {t['limit']}  {'met' if t['met'] else 'NOT met'}"
        )
    report = {"environment": env, "repeats": args.repeats, "smoke": args.smoke, "results": results, "targets": tg}
    if args.check:
        notes = check(results, args.check)
        report["check"] = notes
        print(
            f"check against {args.check}: "
            + (f"{len(notes)} ratio(s) more than 20% worse" if notes else "no ratio more than 20% worse")
        )
        for line in notes:
            print("  worse:", line)
    if args.json:
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2)
    return 0


def _version(lib: str) -> str:
    dist = {"engine": "autograd-conformance", "numpy": "numpy"}.get(lib, lib)
    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    raise SystemExit(main())
