"""Cost of the autograd transforms the engine builds from reverse mode, against torch (CPU), in one run.

* ``jacobian_100``: ``torch.autograd.functional.jacobian`` of ``f(x) = (x.sin() * x.cumsum(0)).tanh()``
  at a 100-element float64 input, reverse mode (one backward per output row in both engines, ``vectorize``
  off) and ``strategy="forward-mode"`` with ``vectorize=True`` (torch: batched forward AD through vmap;
  the engine: one forward-AD pass per input column, each a double-vjp).
* ``jvp_dual_100``: one forward-AD pass (``make_dual``/``unpack_dual``) through the same function.
* ``vmap_64``: ``torch.func.vmap(grad(loss))`` per-sample gradients of a 3-layer MLP over 64 samples
  (the engine's vmap is a loop over the batch).

Best of ``--repeats``; ratio = engine / torch.

    python benchmarks/bench_autograd_api.py [--repeats 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import reference_engine  # noqa: E402


def _f(x: Any) -> Any:
    return (x.sin() * x.cumsum(0)).tanh()


def workloads(ns: Any) -> dict[str, Any]:
    ns.manual_seed(0)
    x = ns.randn(100, dtype=ns.float64)
    fwAD = ns.autograd.forward_ad
    net = ns.nn.Sequential(ns.nn.Linear(16, 32), ns.nn.Tanh(), ns.nn.Linear(32, 32), ns.nn.Tanh(), ns.nn.Linear(32, 4))
    params = {k: v.detach() for k, v in net.named_parameters()}
    xs, ys = ns.randn(64, 16), ns.randint(0, 4, (64,))

    def loss(p: Any, xi: Any, yi: Any) -> Any:
        out = ns.func.functional_call(net, p, (xi.unsqueeze(0),))
        return ns.nn.functional.cross_entropy(out, yi.unsqueeze(0))

    per_sample = ns.func.vmap(ns.func.grad(loss), in_dims=(None, 0, 0))

    def dual() -> Any:
        with fwAD.dual_level():
            return fwAD.unpack_dual(_f(fwAD.make_dual(x, ns.ones_like(x)))).tangent

    return {
        "jacobian_100 reverse": lambda: ns.autograd.functional.jacobian(_f, x),
        "jacobian_100 forward-mode": lambda: ns.autograd.functional.jacobian(
            _f, x, strategy="forward-mode", vectorize=True
        ),
        "jvp_dual_100": dual,
        "vmap_64": lambda: per_sample(params, xs, ys),
    }


def _arrays(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arrays(v)]
    if isinstance(value, list | tuple):
        return [a for v in value for a in _arrays(v)]
    return [value.detach().numpy()]


def check_agreement(engine: dict[str, Any], oracle: dict[str, Any]) -> None:
    """A wrong result must not show up as a fast one: every workload's values agree before timing."""
    for name, run in engine.items():
        got, want = _arrays(run()), _arrays(oracle[name]())
        assert len(got) == len(want), name
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=name)


def best(fn: Any, repeats: int) -> float:
    fn()  # warm up
    timer = timeit.Timer(fn)
    n, _ = timer.autorange()
    return min(timer.repeat(repeats, n)) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    engine, oracle = workloads(reference_engine), workloads(torch)
    check_agreement(engine, oracle)
    rows = []
    print(f"{'workload':28} {'engine':>12} {'torch':>12} {'ratio':>8}")
    for name in engine:
        e, t = best(engine[name], args.repeats), best(oracle[name], args.repeats)
        rows.append({"workload": name, "engine_s": e, "torch_s": t, "ratio": e / t})
        print(f"{name:28} {e * 1e3:10.2f}ms {t * 1e3:10.2f}ms {e / t:8.2f}")
    if args.json:
        args.json.write_text(json.dumps({"torch": torch.__version__, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
