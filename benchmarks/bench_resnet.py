"""One training step of the ResNet-18 transfer-learning scenario: engine vs torch (CPU), speed and peak memory.

The model is ``scenarios/resnet18.py``'s torchvision ResNet-18, built on both
engines with torch's random initialisation copied into the engine. A step is
``zero_grad``, forward on 8 float32 3x64x64 images, CrossEntropyLoss,
backward and ``SGD(lr=1e-2, momentum=0.9).step()``, in train mode (batch norm
on batch statistics, running stats updated). Two variants:

* ``frozen``: the backbone frozen, only the new ``fc`` (512 -> 100) trains;
* ``layer4``: ``layer4`` unfrozen too (its convolutions and batch norms run
  their backward).

Speed: the best of ``--repeats`` steps of each engine, interleaved so load
from other processes hits both, after one warm-up step (which also creates
the momentum buffers). Ratio = engine time / torch time, with torch on its
default thread count and again on one thread.

Peak memory: the most bytes held at once during one steady-state step, above
what was held when the step began (model weights, inputs and momentum buffers
are not counted on either side):

* engine: ``tracemalloc``'s peak minus its current size at the start. NumPy
  reports every array buffer it allocates to tracemalloc, so this is the
  arrays' (and Python objects') high-water mark.
* torch: ``torch.profiler`` with ``profile_memory=True`` records every
  allocation and free of torch's CPU allocator as a ``[memory]`` event with a
  signed byte count; the running sum of those events, in time order, peaks
  at the step's high-water mark. Memory that oneDNN takes outside torch's
  allocator is not seen, so torch's figure is, if anything, low.

    python benchmarks/bench_resnet.py [--repeats 5] [--json reports/bench_resnet.json]
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402

import reference_engine as engine  # noqa: E402
from conformance.compare import Tolerance, compare_arrays  # noqa: E402
from conformance.scenario import drain_pending  # noqa: E402

# The targets: a step within 3x torch's time, peak memory within 2x torch's.
TARGET_TIME_RATIO, TARGET_MEMORY_RATIO = 3.0, 2.0
BATCH, CLASSES, SIZE = 8, 100, 64
# the scenario's float32 tolerance (conv reductions are ordered differently on the two engines)
F32_TOL = Tolerance(rtol=1e-4, atol=1e-5)


def _resnet18(ns: Any) -> Any:
    module = importlib.import_module("scenarios.resnet18")
    drain_pending()  # importing the scenario file registers its scenarios; nothing here runs them
    return module.resnet18(ns)


class Setup:
    """One engine's model, optimizer, loss and batch, ready to step."""

    def __init__(self, ns: Any, state: dict[str, np.ndarray], variant: str) -> None:
        self.ns = ns
        self.model = _resnet18(ns)
        with ns.no_grad():
            for name, p in self.model.named_parameters():
                p.copy_(ns.tensor(state[name]))
        for p in self.model.parameters():
            p.requires_grad = False
        self.model.fc = ns.nn.Linear(512, CLASSES)
        with ns.no_grad():
            self.model.fc.weight.copy_(ns.tensor(state["new_fc.weight"]))
            self.model.fc.bias.copy_(ns.tensor(state["new_fc.bias"]))
        params = list(self.model.fc.parameters())
        if variant == "layer4":
            for p in self.model.layer4.parameters():
                p.requires_grad = True
            params = list(self.model.layer4.parameters()) + params
        self.opt = ns.optim.SGD(params, lr=1e-2, momentum=0.9)
        self.loss_fn = ns.nn.CrossEntropyLoss()
        rng = np.random.default_rng(0)
        self.x = ns.tensor(rng.uniform(-1, 1, (BATCH, 3, SIZE, SIZE)).astype(np.float32))
        self.y = ns.tensor(rng.integers(0, CLASSES, BATCH))

    def step(self) -> Any:
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss


def _torch_state() -> dict[str, np.ndarray]:
    torch.manual_seed(0)
    model = _resnet18(torch)
    state = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    fc = torch.nn.Linear(512, CLASSES)
    state["new_fc.weight"], state["new_fc.bias"] = fc.weight.detach().numpy().copy(), fc.bias.detach().numpy().copy()
    return state


def _check_agree(eng: Setup, ref: Setup) -> None:
    """Both engines must compute the same step before either is timed (a wrong result is not a fast one)."""
    le, lt = eng.step(), ref.step()
    diff = compare_arrays(np.asarray(le._data), lt.detach().numpy(), F32_TOL)
    if not diff.ok:
        raise SystemExit(f"engine and torch disagree on the loss: {diff.describe()}")
    w = compare_arrays(np.asarray(eng.model.fc.weight._data), ref.model.fc.weight.detach().numpy(), F32_TOL)
    if not w.ok:
        raise SystemExit(f"engine and torch disagree on fc.weight after a step: {w.describe()}")


def _best_times(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    best = dict.fromkeys(fns, float("inf"))
    gc.disable()
    try:
        for _ in range(repeats):
            for name, fn in fns.items():
                start = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - start)
    finally:
        gc.enable()
    return best


def engine_peak_bytes(setup: Setup) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        setup.step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base


def torch_peak_bytes(setup: Setup) -> int:
    gc.collect()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        setup.step()
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    events.sort(key=lambda e: e.start_ns())
    running = peak = 0
    for e in events:
        running += e.nbytes()
        peak = max(peak, running)
    return peak


def run_variant(variant: str, state: dict[str, np.ndarray], repeats: int) -> dict[str, Any]:
    eng, ref = Setup(engine, state, variant), Setup(torch, state, variant)
    _check_agree(eng, ref)  # also the warm-up step: momentum buffers exist from here on
    times = _best_times({"engine": eng.step, "torch": ref.step}, repeats)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # without thread-pool contention, which a busy machine inflicts on torch most
    try:
        one = _best_times({"torch": ref.step}, repeats)["torch"]
    finally:
        torch.set_num_threads(threads)
    mem_e, mem_t = engine_peak_bytes(eng), torch_peak_bytes(ref)
    return {
        "engine_ms": times["engine"] * 1e3,
        "torch_ms": times["torch"] * 1e3,
        "time_ratio": times["engine"] / times["torch"],
        "torch_1thread_ms": one * 1e3,
        "ratio_vs_torch_1thread": times["engine"] / one,
        "engine_peak_mib": mem_e / 2**20,
        "torch_peak_mib": mem_t / 2**20,
        "memory_ratio": mem_e / max(mem_t, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--variants", nargs="+", default=["frozen", "layer4"], choices=["frozen", "layer4"])
    parser.add_argument("--json", type=Path, default=ROOT / "reports" / "bench_resnet.json")
    args = parser.parse_args(argv)
    state = _torch_state()
    results = {v: run_variant(v, state, args.repeats) for v in args.variants}
    print(f"{'variant':8} {'engine':>10} {'torch':>10} {'ratio':>6} {'torch 1t':>10} {'ratio':>6}   ", end="")
    print(f"{'engine':>9} {'torch':>9} {'ratio':>6}")
    for v, r in results.items():
        print(
            f"{v:8} {r['engine_ms']:8.1f}ms {r['torch_ms']:8.1f}ms {r['time_ratio']:6.2f} "
            f"{r['torch_1thread_ms']:8.1f}ms {r['ratio_vs_torch_1thread']:6.2f}   "
            f"{r['engine_peak_mib']:7.1f}MiB {r['torch_peak_mib']:7.1f}MiB {r['memory_ratio']:6.2f}"
        )
    meets = all(
        r["time_ratio"] <= TARGET_TIME_RATIO and r["memory_ratio"] <= TARGET_MEMORY_RATIO for r in results.values()
    )
    print(f"targets: time <= {TARGET_TIME_RATIO}x, peak memory <= {TARGET_MEMORY_RATIO}x torch -> "
          f"{'met' if meets else 'NOT met'}")  # fmt: skip
    report = {
        "environment": {
            "torch": torch.__version__,
            "numpy": np.__version__,
            "torch_threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],
        },
        "repeats": args.repeats,
        "results": results,
        "targets": {"time_ratio": TARGET_TIME_RATIO, "memory_ratio": TARGET_MEMORY_RATIO},
        "meets_targets": meets,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
