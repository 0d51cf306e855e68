"""Speed of the engine's torch-compatible sampling relative to torch (CPU).

Times ``randn(1_000_000)`` (the vectorised Box-Muller path) and a few other
samplers on both, best of ``--repeats``, after checking the values are
bit-identical (a wrong result cannot show up as a fast one). A ratio is
engine time / torch time; the target for ``randn`` float32 is <= 3.

    python benchmarks/bench_random.py [--repeats 5] [--size 1000000]
"""

from __future__ import annotations

import argparse
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

import reference_engine as E  # noqa: E402


def _workloads(n: int) -> dict[str, Callable[[Any], Any]]:
    return {
        "randn float32": lambda t: t.randn(n),
        "randn float64": lambda t: t.randn(n, dtype=t.float64),
        "rand float32": lambda t: t.rand(n),
        "randint": lambda t: t.randint(0, 1000, (n,)),
        "bernoulli_(0.5)": lambda t: t.empty(n).bernoulli_(0.5),
    }


def _as_numpy(x: Any) -> np.ndarray:
    return x.numpy() if isinstance(x, torch.Tensor) else x._data


def _best(fn: Callable[[], Any], repeats: int) -> float:
    return min(timeit.repeat(fn, number=1, repeat=repeats))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--size", type=int, default=1_000_000)
    args = ap.parse_args()
    print(f"{'workload':18} {'torch ms':>9} {'engine ms':>10} {'ratio':>6}")
    for name, fn in _workloads(args.size).items():
        torch.manual_seed(0)
        E.manual_seed(0)
        if not np.array_equal(_as_numpy(fn(torch)), _as_numpy(fn(E))):
            raise SystemExit(f"{name}: engine values differ from torch")
        t_torch = _best(lambda fn=fn: fn(torch), args.repeats)
        t_engine = _best(lambda fn=fn: fn(E), args.repeats)
        print(f"{name:18} {t_torch * 1e3:9.2f} {t_engine * 1e3:10.2f} {t_engine / t_torch:6.2f}")


if __name__ == "__main__":
    main()
