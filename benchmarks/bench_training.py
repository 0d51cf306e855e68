"""Training-loop speed of the engine against torch, measured in the same run.

Two workloads (issue: nn, optim and printing):
- ``seed_loop``: the seed document's training script, Linear(3, 1) on the
  features (x, x^2, x^3), MSELoss(reduction='sum'), 2000 steps of manual SGD
  under no_grad. Small tensors: the time is per-op overhead.
- ``mlp_step``: one SGD step of a 784-512-512-10 ReLU MLP with
  CrossEntropyLoss on a batch of 128. Large matmuls: the time is the kernels.

Run: ``python benchmarks/bench_training.py [--json PATH] [--repeats N]``.
The ratio is engine time / torch time (lower is better); each time is the best
of N repeats, engine and torch interleaved so load bursts hit both alike.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import reference_engine as engine


def seed_loop(lib: Any, steps: int = 2000) -> float:
    x = lib.linspace(-math.pi, math.pi, 2000)
    y = lib.sin(x)
    p = lib.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = lib.nn.Sequential(lib.nn.Linear(3, 1), lib.nn.Flatten(0, 1))
    loss_fn = lib.nn.MSELoss(reduction="sum")
    lr = 1e-6
    loss = None
    for _ in range(steps):
        loss = loss_fn(model(xx), y)
        model.zero_grad()
        loss.backward()
        with lib.no_grad():
            for param in model.parameters():
                param -= lr * param.grad
    return float(loss.item())


def _mlp(lib: Any, seed: int = 0) -> tuple[Any, Any, Any, Any]:
    rng = np.random.default_rng(seed)
    model = lib.nn.Sequential(
        lib.nn.Linear(784, 512), lib.nn.ReLU(), lib.nn.Linear(512, 512), lib.nn.ReLU(), lib.nn.Linear(512, 10)
    )
    x = lib.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    target = lib.tensor(rng.integers(0, 10, 128))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return model, x, target, opt


def mlp_step(state: tuple[Any, Any, Any, Any], lib: Any) -> None:
    model, x, target, opt = state
    opt.zero_grad()
    loss = lib.nn.functional.cross_entropy(model(x), target)
    loss.backward()
    opt.step()


def best_of(fn: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default="reports/bench_training.json")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=2000)
    args = ap.parse_args(argv)

    results: dict[str, dict[str, float]] = {}
    # seed loop: same initial weights is irrelevant for speed; both start from their own init
    t_eng = t_torch = float("inf")
    for _ in range(args.repeats):
        t_torch = min(t_torch, best_of(lambda: seed_loop(torch, args.steps), 1))
        t_eng = min(t_eng, best_of(lambda: seed_loop(engine, args.steps), 1))
    results["seed_loop"] = {"engine_s": t_eng, "torch_s": t_torch, "ratio": t_eng / t_torch, "target": 1.0}

    s_t, s_e = _mlp(torch), _mlp(engine)
    mlp_step(s_t, torch)
    mlp_step(s_e, engine)  # warm up both
    t_eng = t_torch = float("inf")
    for _ in range(args.repeats):
        t_torch = min(t_torch, best_of(lambda: mlp_step(s_t, torch), 3))
        t_eng = min(t_eng, best_of(lambda: mlp_step(s_e, engine), 3))
    results["mlp_step"] = {"engine_s": t_eng, "torch_s": t_torch, "ratio": t_eng / t_torch, "target": 1.5}

    print(f"torch {torch.__version__} on {torch.get_num_threads()} thread(s), load average {os.getloadavg()[0]:.1f}")
    print(f"{'workload':<10} {'engine':>10} {'torch':>10} {'ratio':>7} {'target':>7}")
    for name, r in results.items():
        ok = "yes" if r["ratio"] <= r["target"] else "NO"
        print(f"{name:<10} {r['engine_s']:>9.4f}s {r['torch_s']:>9.4f}s {r['ratio']:>7.2f} {r['target']:>7.2f}  {ok}")
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as fh:
        json.dump({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
