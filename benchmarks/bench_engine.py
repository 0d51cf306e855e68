"""Speed of the reference engine relative to torch (CPU), measured in one run.

Two workloads, each timed for the engine, torch and (for the large one) plain
NumPy, as the best of ``--repeats`` repeats of a timeit-style loop:

* ``per_op``: a chain of 100 elementwise ops on a 16-element float32 tensor
  that requires grad, then ``sum().backward()``. At this size the arithmetic
  is negligible, so the time per op is the framework's overhead: dispatch,
  graph recording and the backward pass.
* ``large``: ``(x.sin() * x.exp() + x * x).sum()`` forward and backward on
  4M float32 elements: here the array kernels dominate. The NumPy row runs
  the same forward and the hand-written backward, a floor for any NumPy-based
  engine.

A ratio is engine time / torch time (lower is better, < 1 is faster than
torch). ``--profile`` runs cProfile on the engine for one workload instead.

    python benchmarks/bench_engine.py [--json reports/bench_engine.json] [--repeats 5]
    python benchmarks/bench_engine.py --profile per_op
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import reference_engine as engine  # noqa: E402
from conformance.compare import compare_arrays  # noqa: E402

CHAIN_LEN = 100
SMALL_NUMEL = 16
LARGE_NUMEL = 4 * 1024 * 1024
# The targets: engine overhead per op no worse than torch's, large elementwise within 1.5x torch.
TARGETS = {"per_op": 1.0, "large": 1.5}


# --------------------------------------------------------------------------- workloads


def chain(lib: Any, leaf: Any) -> Any:
    """100 elementwise ops (mul, add, sin, exp repeated), then sum and backward; returns the leaf's grad."""
    x = leaf
    for _ in range(CHAIN_LEN // 4):
        x = x * 1.0001
        x = x + 0.001
        x = x.sin()
        x = x.exp()
    x.sum().backward()
    grad = leaf.grad
    leaf.grad = None
    return grad


def large(lib: Any, leaf: Any) -> Any:
    """(x.sin() * x.exp() + x * x).sum(), forward and backward; returns the leaf's grad."""
    (leaf.sin() * leaf.exp() + leaf * leaf).sum().backward()
    grad = leaf.grad
    leaf.grad = None
    return grad


def large_numpy(x: np.ndarray) -> np.ndarray:
    """The same computation in NumPy with its backward written out: d/dx = cos*e + sin*e + 2x."""
    s, e = np.sin(x), np.exp(x)
    _ = (s * e + x * x).sum()
    return np.cos(x) * e + s * e + 2 * x


# --------------------------------------------------------------------------- timing


def best_times(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Best seconds per call of each function, timeit-style.

    Each repeat loops a function long enough to be measurable (>= 0.2 s,
    sized by ``Timer.autorange``). The functions' repeats are interleaved, so
    a burst of load from other processes hits all of them alike and the
    ratios stay comparable.
    """
    timers = {name: timeit.Timer(fn) for name, fn in fns.items()}
    numbers = {name: timer.autorange()[0] for name, timer in timers.items()}
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(numbers[name]) / numbers[name])
    return best


def leaf(lib: Any, data: np.ndarray) -> Any:
    return lib.tensor(data, requires_grad=True)


def check_agree(name: str, engine_grad: Any, torch_grad: Any) -> None:
    """A benchmark of a wrong result is meaningless: the grads must agree first."""
    diff = compare_arrays(np.asarray(engine_grad._data), torch_grad.numpy())
    if not diff.ok:
        raise SystemExit(f"{name}: engine and torch disagree: {diff.describe()}")


def bench_per_op(repeats: int) -> dict[str, Any]:
    data = np.linspace(-1, 1, SMALL_NUMEL, dtype=np.float32)
    e_leaf, t_leaf = leaf(engine, data), leaf(torch, data)
    check_agree("per_op", chain(engine, e_leaf), chain(torch, t_leaf))
    best = best_times({"engine": lambda: chain(engine, e_leaf), "torch": lambda: chain(torch, t_leaf)}, repeats)
    e, t = best["engine"], best["torch"]
    return {
        "description": f"{CHAIN_LEN} elementwise ops on {SMALL_NUMEL} float32 elements + sum().backward()",
        "engine_us_per_op": e / CHAIN_LEN * 1e6,
        "torch_us_per_op": t / CHAIN_LEN * 1e6,
        "ratio": e / t,
        "target_ratio": TARGETS["per_op"],
    }


def bench_large(repeats: int) -> dict[str, Any]:
    data = np.random.default_rng(0).standard_normal(LARGE_NUMEL).astype(np.float32)
    e_leaf, t_leaf = leaf(engine, data), leaf(torch, data)
    check_agree("large", large(engine, e_leaf), large(torch, t_leaf))
    fns = {
        "engine": lambda: large(engine, e_leaf),
        "torch": lambda: large(torch, t_leaf),
        "numpy": lambda: large_numpy(data),
    }
    best = best_times(fns, repeats)
    e, t, n = best["engine"], best["torch"], best["numpy"]
    # informational: on a busy machine torch's thread pool suffers most, so also time torch on one thread
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t1 = best_times({"torch": fns["torch"]}, repeats)["torch"]
    finally:
        torch.set_num_threads(threads)
    return {
        "description": f"(x.sin() * x.exp() + x * x).sum() forward+backward, {LARGE_NUMEL} float32 elements",
        "engine_ms": e * 1e3,
        "torch_ms": t * 1e3,
        "numpy_ms": n * 1e3,
        "torch_1thread_ms": t1 * 1e3,
        "ratio": e / t,
        "ratio_vs_torch_1thread": e / t1,
        "numpy_ratio": n / t,
        "target_ratio": TARGETS["large"],
    }


# --------------------------------------------------------------------------- report


def environment() -> dict[str, Any]:
    return {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
    }


def print_table(report: dict[str, Any]) -> None:
    env, per_op, big = report["environment"], report["per_op"], report["large"]
    print(
        f"torch {env['torch']} on {env['torch_threads']} thread(s), numpy {env['numpy']}, repeats {report['repeats']}"
    )
    print(f"{'workload':<10} {'engine':>12} {'torch':>12} {'numpy':>12} {'ratio':>7} {'target':>7}  ok")
    ok = "yes" if per_op["ratio"] <= per_op["target_ratio"] else "NO"
    print(
        f"{'per_op':<10} {per_op['engine_us_per_op']:>9.2f} us {per_op['torch_us_per_op']:>9.2f} us {'-':>12} "
        f"{per_op['ratio']:>7.2f} {per_op['target_ratio']:>7.2f}  {ok}"
    )
    ok = "yes" if big["ratio"] <= big["target_ratio"] else "NO"
    print(
        f"{'large':<10} {big['engine_ms']:>9.2f} ms {big['torch_ms']:>9.2f} ms {big['numpy_ms']:>9.2f} ms "
        f"{big['ratio']:>7.2f} {big['target_ratio']:>7.2f}  {ok}"
    )
    print(
        f"{'large':<10} torch on 1 thread: {big['torch_1thread_ms']:.2f} ms "
        f"(engine / that = {big['ratio_vs_torch_1thread']:.2f}, informational)"
    )
    print("ratio = engine time / torch time (lower is better); per_op times are per op, forward + backward")
    load, cpus = report["environment"]["load_average_1min"], report["environment"]["cpu_count"]
    if cpus and load > cpus:
        print(f"warning: load average {load:.1f} exceeds {cpus} CPUs: timings are noisy, torch's threads suffer most")


def profile(workload: str, top: int) -> None:
    """cProfile the engine alone on one workload, sorted by own time."""
    if workload == "per_op":
        x = leaf(engine, np.linspace(-1, 1, SMALL_NUMEL, dtype=np.float32))
        calls = 200
        fn: Callable[[], Any] = lambda: chain(engine, x)
    else:
        x = leaf(engine, np.random.default_rng(0).standard_normal(LARGE_NUMEL).astype(np.float32))
        calls = 10
        fn = lambda: large(engine, x)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        fn()
    prof.disable()
    pstats.Stats(prof).strip_dirs().sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", default=str(ROOT / "reports" / "bench_engine.json"), help="where to write results")
    parser.add_argument("--repeats", type=int, default=5, help="repeats per measurement (the best is kept)")
    parser.add_argument("--profile", choices=["per_op", "large"], help="cProfile the engine on one workload")
    parser.add_argument("--top", type=int, default=30, help="rows of the profile to print")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.profile, args.top)
        return 0
    report = {
        "environment": environment(),
        "repeats": args.repeats,
        "per_op": bench_per_op(args.repeats),
        "large": bench_large(args.repeats),
    }
    report["meets_targets"] = all(report[k]["ratio"] <= report[k]["target_ratio"] for k in TARGETS)
    print_table(report)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
