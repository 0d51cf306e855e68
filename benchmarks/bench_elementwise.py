"""Every elementwise op of torch's catalogue on a 1M-element input: the engine's time against torch's.

The ops are the catalogue's (``op_db`` of ``torch.testing._internal.common_methods_invocations``) unary and
binary pointwise entries (``UnaryUfuncInfo``, ``BinaryUfuncInfo``, the ``special.*`` functions among them),
one row per entry (``name.variant``) and dtype: float32 and float64, or int32 and int64 for an entry that
takes no floating dtype (bitwise ops, gcd, lcm). Each row times the forward call and, where the entry
supports autograd and the dtype is floating, forward + ``backward(ones)`` through every input, engine and
torch interleaved; a time is the median of ``--repeats`` repeats, each of which loops the call for at least
``--min-time`` seconds. Before timing, the forward values are compared (``conformance.compare``): a row whose
values differ is marked, since the speed of a wrong result means little.

Inputs are 1M elements (1024 x 1024) drawn uniformly from the entry's domain as the catalogue states it
(``UnaryUfuncInfo.domain``, ``lhs_make_tensor_kwargs`` / ``rhs_make_tensor_kwargs``, else make_tensor's
[-9, 9]), with the entry's sample keywords. Where the catalogue's default range would put most elements
outside the function's domain, where they are NaN at once and nothing is measured, ``INPUT_RANGES`` gives
the range used instead (incomplete gamma, zeta, the orthogonal polynomials' degree).

A ratio is engine time / torch time; the issue's rule is that none exceeds 3 (``LIMIT``).

    python benchmarks/bench_elementwise.py [--repeats 3] [--json reports/bench_elementwise.json]
    python benchmarks/bench_elementwise.py --only erfinv special.zeta --dtypes float64
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("REFERENCE_ENGINE_TORCH_VERSION", "2.13")  # compare like for like with the installed torch

import torch  # noqa: E402
from torch.testing._internal.common_methods_invocations import op_db  # noqa: E402
from torch.testing._internal.opinfo.core import BinaryUfuncInfo, UnaryUfuncInfo  # noqa: E402

import reference_engine as engine  # noqa: E402
from benchmarks.bench_engine import environment  # noqa: E402 (the same machine facts in every benchmark's JSON)
from conformance.compare import compare_arrays  # noqa: E402
from conformance.opinfo import Absent, engine_callable  # noqa: E402

LIMIT = 3.0  # the rule: no elementwise op slower than 3x torch on a 1M-element input
SHAPE = (1024, 1024)
DEFAULT_RANGE = (-9.0, 9.0)  # make_tensor's default for floating and integer dtypes
# Entries the catalogue runs on CUDA only
SKIP = {"jiterator_unary", "jiterator_binary", "jiterator_binary_return_by_ref"}
_POLYNOMIALS = (
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
)
# (lhs range, rhs range, rhs integral) where the catalogue's default range leaves the function's domain:
# igamma(a, x) needs a > 0 and x >= 0; zeta(x, q) is finite for x > 1, q > 0; a polynomial's degree n is a
# small non-negative integer (the catalogue draws any float in [-9, 9], and a negative n is 0 at once).
INPUT_RANGES: dict[str, tuple[tuple[float, float], tuple[float, float], bool]] = {
    "igamma": ((0.0, 9.0), (0.0, 9.0), False),
    "igammac": ((0.0, 9.0), (0.0, 9.0), False),
    "special.zeta": ((1.0, 9.0), (0.0, 9.0), False),
    **{f"special.{p}": ((-1.5, 1.5) if "shifted" not in p else (-0.25, 1.25), (0.0, 9.0), True) for p in _POLYNOMIALS},
}


# --------------------------------------------------------------------------- the entries


@dataclass
class Case:
    """One catalogue entry at one dtype, with its inputs as NumPy arrays and its keyword arguments."""

    entry: str
    dtype: str
    torch_fn: Callable[..., Any]
    engine_fn: Any
    arrays: list[np.ndarray]
    kwargs: dict[str, Any]
    differentiable: bool
    note: str = ""
    result: dict[str, Any] = field(default_factory=dict)


def catalogue() -> list[Any]:
    """The catalogue's unary and binary pointwise entries, CUDA-only ones left out."""
    return [op for op in op_db if isinstance(op, UnaryUfuncInfo | BinaryUfuncInfo) and op.name not in SKIP]


def entry_name(op: Any) -> str:
    return f"{op.name}.{op.variant_test_name}" if op.variant_test_name else op.name


def dtypes_for(op: Any, wanted: list[str]) -> list[str]:
    """The dtypes to time: float32/float64 where the entry takes them, else int32/int64 (integer-only ops)."""
    supported = op.supported_dtypes("cpu")
    floats = [d for d in wanted if getattr(torch, d) in supported and d.startswith("float")]
    if floats:
        return floats
    return [d for d in ("int32", "int64") if getattr(torch, d) in supported]


def _draw(rng: np.random.Generator, dtype: str, low: float, high: float, integral: bool, open_low: bool) -> Any:
    """SHAPE elements uniform in [low, high] (integers for integer dtypes or an integral argument)."""
    np_dtype = np.dtype(dtype)
    if np_dtype.kind in "iu" or integral:
        return rng.integers(int(np.ceil(low)), int(np.floor(high)) + 1, size=SHAPE).astype(np_dtype)
    x = rng.uniform(low, high, size=SHAPE).astype(np_dtype)
    if open_low:  # a domain's bounds are open (log at 0, erfinv at +-1): rounding to float32 may reach them
        x = np.clip(x, np.nextafter(np_dtype.type(low), np_dtype.type(np.inf)), None)
    return x


def _bounds(kwargs: dict[str, Any] | None, domain: tuple[Any, Any] = (None, None)) -> tuple[float, float]:
    kwargs = kwargs or {}
    low = kwargs.get("low", domain[0])
    high = kwargs.get("high", domain[1])
    low = DEFAULT_RANGE[0] if low is None else low
    high = DEFAULT_RANGE[1] if high is None else high
    return float(low), float(high)


def inputs_for(op: Any, dtype: str) -> tuple[list[np.ndarray], str]:
    """The entry's inputs at ``dtype``, drawn from its domain, and a short description of the ranges."""
    name = entry_name(op)
    rng = np.random.default_rng(zlib.crc32(f"{name}/{dtype}".encode()))
    if not isinstance(op, BinaryUfuncInfo):
        low, high = _bounds(None, op.domain)
        if op.domain[1] is not None:  # both ends open: keep off the upper one too
            x = _draw(rng, dtype, low, high, False, True)
            if x.dtype.kind == "f":
                x = np.clip(x, None, np.nextafter(x.dtype.type(high), x.dtype.type(-np.inf)))
        else:
            x = _draw(rng, dtype, low, high, False, op.domain[0] is not None)
        return [x], f"[{low:g}, {high:g}]"
    if name in INPUT_RANGES:
        (l0, h0), (l1, h1), integral = INPUT_RANGES[name]
        lhs = _draw(rng, dtype, l0, h0, False, l0 == 0.0 or name == "special.zeta")
        rhs = _draw(rng, dtype, l1, h1, integral, l1 == 0.0 and not integral)
        return [lhs, rhs], f"[{l0:g}, {h0:g}] x [{l1:g}, {h1:g}]" + (" integers" if integral else "")
    lk, rk = op.lhs_make_tensor_kwargs or {}, op.rhs_make_tensor_kwargs or {}
    l0, h0 = _bounds(lk)
    l1, h1 = _bounds(rk)
    lhs = _draw(rng, dtype, l0, h0, False, False)
    rhs = _draw(rng, dtype, l1, h1, False, False)
    for arr, kw in ((lhs, lk), (rhs, rk)):
        if kw.get("exclude_zero"):
            arr[arr == 0] = 1
    if lk.get("exclude_zero") is None and name.startswith("__r") and name in ("__rdiv__", "__rmod__"):
        lhs[lhs == 0] = 1
    return [lhs, rhs], f"[{l0:g}, {h0:g}] x [{l1:g}, {h1:g}]"


def _kwargs(op: Any, dtype: str) -> dict[str, Any]:
    torch_kwargs = op.sample_kwargs("cpu", getattr(torch, dtype), torch.zeros(3))[0] if op.sample_kwargs else {}
    if op.name in ("polygamma", "special.polygamma"):
        # the catalogue's variants share one late-bound n (all report 4): take n from the variant's name
        torch_kwargs = dict(torch_kwargs, n=int(op.variant_test_name.rsplit("_", 1)[1]))
    return dict(torch_kwargs)


def cases(wanted_dtypes: list[str], only: list[str] | None) -> list[Case]:
    result = []
    for op in catalogue():
        name = entry_name(op)
        if only and name not in only and op.name not in only:
            continue
        for dtype in dtypes_for(op, wanted_dtypes):
            arrays, ranges = inputs_for(op, dtype)
            fn = engine_callable(op.op, engine, op.name)
            differentiable = op.supports_autograd and dtype.startswith("float")
            result.append(Case(name, dtype, op.op, fn, arrays, _kwargs(op, dtype), differentiable, ranges))
    return result


# --------------------------------------------------------------------------- running one case


def _to_side(value: Any, lib: Any) -> Any:
    """A keyword value for one side: torch tensors in the catalogue's keywords become that side's tensors."""
    if isinstance(value, torch.Tensor):
        return lib.tensor(value.numpy()) if lib is engine else value
    return value


def _leaves(lib: Any, arrays: list[np.ndarray], grad: bool) -> list[Any]:
    return [lib.tensor(a, requires_grad=grad) for a in arrays]


def _as_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach()
        if value.dtype in (torch.bfloat16, torch.complex32):
            value = value.to(torch.complex64 if value.is_complex() else torch.float32)
        return value.resolve_conj().numpy()
    value = value.detach()
    if str(value.dtype) in ("torch.bfloat16", "torch.complex32"):
        value = value.to(engine.complex64 if value.is_complex() else engine.float32)
    return np.asarray(value.numpy())


def _outputs(value: Any) -> list[Any]:
    return list(value) if isinstance(value, tuple | list) else [value]


def median_ms(fns: dict[str, Callable[[], Any]], repeats: int, min_time: float) -> dict[str, float]:
    """Median milliseconds per call of each function over ``repeats`` interleaved repeats.

    Each repeat calls a function ``n`` times, ``n`` sized from one timed call so the repeat lasts at least
    ``min_time``; the repeats of the functions alternate, so a burst of load from the machine's other
    processes hits all of them alike. The garbage collector is off while timing, as in ``timeit``.
    """
    numbers = {}
    for name, fn in fns.items():
        start = time.perf_counter()
        fn()
        once = time.perf_counter() - start
        numbers[name] = max(1, int(np.ceil(min_time / max(once, 1e-6))))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            for name, fn in fns.items():
                n = numbers[name]
                start = time.perf_counter()
                for _ in range(n):
                    fn()
                samples[name].append((time.perf_counter() - start) / n * 1e3)
    finally:
        if enabled:
            gc.enable()
    return {name: statistics.median(s) for name, s in samples.items()}


def _forward_fns(case: Case) -> dict[str, Callable[[], Any]]:
    t_in = _leaves(torch, case.arrays, False)
    e_in = _leaves(engine, case.arrays, False)
    t_kw = {k: _to_side(v, torch) for k, v in case.kwargs.items()}
    e_kw = {k: _to_side(v, engine) for k, v in case.kwargs.items()}
    return {
        "engine": lambda: case.engine_fn(*e_in, **e_kw),
        "torch": lambda: case.torch_fn(*t_in, **t_kw),
    }


def _backward_fn(lib: Any, fn: Any, case: Case, kwargs: dict[str, Any], grad_inputs: int) -> Callable[[], Any]:
    """forward + backward(ones) through the first ``grad_inputs`` inputs, grads cleared after each call."""
    leaves = [lib.tensor(a, requires_grad=i < grad_inputs) for i, a in enumerate(case.arrays)]
    first = _outputs(fn(*leaves, **kwargs))[0]
    seed = lib.ones_like(first.detach())

    def run() -> None:
        out = _outputs(fn(*leaves, **kwargs))[0]
        out.backward(seed)
        for leaf in leaves:
            leaf.grad = None

    return run


def _backward_fns(case: Case) -> tuple[dict[str, Callable[[], Any]], str] | None:
    """forward+backward callables for both sides, through as many inputs as torch differentiates."""
    t_kw = {k: _to_side(v, torch) for k, v in case.kwargs.items()}
    e_kw = {k: _to_side(v, engine) for k, v in case.kwargs.items()}
    for count in range(len(case.arrays), 0, -1):
        try:
            t_run = _backward_fn(torch, case.torch_fn, case, t_kw, count)
            t_run()
        except (RuntimeError, TypeError, NotImplementedError):
            continue  # torch has no derivative for this input: differentiate fewer
        e_run = _backward_fn(engine, case.engine_fn, case, e_kw, count)
        e_run()
        return {"engine": e_run, "torch": t_run}, f"{count} input(s)"
    return None


def run_case(case: Case, repeats: int, min_time: float) -> dict[str, Any]:
    row: dict[str, Any] = {"entry": case.entry, "dtype": case.dtype, "inputs": case.note}
    if isinstance(case.engine_fn, Absent):
        try:
            case.engine_fn()
        except AttributeError as exc:  # an Absent says what the engine lacks when called
            row["status"] = f"missing: {exc}"
        return row
    fwd = _forward_fns(case)
    torch.manual_seed(0)
    try:
        expected = _outputs(fwd["torch"]())
    except Exception as exc:  # noqa: BLE001 - torch refuses these inputs: nothing to compare against
        row["status"] = f"torch error: {type(exc).__name__}: {str(exc)[:120]}"
        return row
    engine.manual_seed(0)
    try:
        actual = _outputs(fwd["engine"]())
    except Exception as exc:  # noqa: BLE001 - recorded, not fatal: one op's failure must not end the run
        row["status"] = f"engine error: {type(exc).__name__}: {str(exc)[:120]}"
        return row
    diffs = [compare_arrays(_as_numpy(a), _as_numpy(e)) for a, e in zip(actual, expected, strict=False)]
    bad = [d for d in diffs if not d.ok]
    row["values"] = "agree" if not bad and len(actual) == len(expected) else f"differ: {bad[0].describe()}"[:200]
    row["status"] = "measured"
    times = median_ms(fwd, repeats, min_time)
    row["forward"] = {
        "engine_ms": times["engine"],
        "torch_ms": times["torch"],
        "ratio": times["engine"] / times["torch"],
    }
    if case.differentiable:
        try:
            pair = _backward_fns(case)
        except Exception as exc:  # noqa: BLE001 - the engine's backward failed where torch's ran
            row["backward_error"] = f"{type(exc).__name__}: {str(exc)[:120]}"
            pair = None
        if pair is not None:
            fns, through = pair
            times = median_ms(fns, repeats, min_time)
            row["forward_backward"] = {
                "engine_ms": times["engine"],
                "torch_ms": times["torch"],
                "ratio": times["engine"] / times["torch"],
                "through": through,
            }
    row["worst_ratio"] = max(row[k]["ratio"] for k in ("forward", "forward_backward") if k in row)
    return row


# --------------------------------------------------------------------------- report


def _cell(part: dict[str, Any] | None) -> str:
    if part is None:
        return f"{'-':>10} {'-':>10} {'-':>7}"
    return f"{part['engine_ms']:>10.2f} {part['torch_ms']:>10.2f} {part['ratio']:>7.2f}"


def print_table(rows: list[dict[str, Any]]) -> None:
    measured = sorted((r for r in rows if r["status"] == "measured"), key=lambda r: -r["worst_ratio"])
    head = f"{'entry':<42} {'dtype':<8} {'fwd eng ms':>10} {'torch ms':>10} {'ratio':>7}"
    print(f"{head} {'f+b eng ms':>10} {'torch ms':>10} {'ratio':>7}  flag")
    for r in measured:
        flag = f">{LIMIT:g}x" if r["worst_ratio"] > LIMIT else ""
        if r["values"] != "agree":
            flag += " values differ"
        print(f"{r['entry']:<42} {r['dtype']:<8} {_cell(r['forward'])} {_cell(r.get('forward_backward'))}  {flag}")
    for r in rows:
        if r["status"] != "measured":
            print(f"{r['entry']:<42} {r['dtype']:<8} {r['status']}")


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    measured = [r for r in rows if r["status"] == "measured"]
    worst = max(measured, key=lambda r: r["worst_ratio"], default=None)
    return {
        "rows": len(rows),
        "measured": len(measured),
        "entries_measured": len({r["entry"] for r in measured}),
        "not_measured": [f"{r['entry']}[{r['dtype']}]: {r['status']}" for r in rows if r["status"] != "measured"],
        "over_limit": [
            f"{r['entry']}[{r['dtype']}] {r['worst_ratio']:.2f}x" for r in measured if r["worst_ratio"] > LIMIT
        ],
        "values_differ": [f"{r['entry']}[{r['dtype']}]" for r in measured if r["values"] != "agree"],
        "worst": f"{worst['entry']}[{worst['dtype']}] {worst['worst_ratio']:.2f}x" if worst else None,
        "limit": LIMIT,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", default=str(ROOT / "reports" / "bench_elementwise.json"), help="where to write")
    parser.add_argument("--repeats", type=int, default=3, help="repeats per measurement (the median is kept)")
    parser.add_argument("--min-time", type=float, default=0.05, help="seconds each repeat loops a call for")
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], help="floating dtypes to time")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="entries to time (name or name.variant)")
    parser.add_argument("--torch-threads", type=int, help="torch's thread count (default: torch's own)")
    args = parser.parse_args(argv)
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    rows = []
    for case in cases(args.dtypes, args.only):
        row = run_case(case, args.repeats, args.min_time)
        rows.append(row)
        ratio = f"{row['worst_ratio']:.2f}x" if "worst_ratio" in row else row["status"]
        print(f"  {case.entry}[{case.dtype}] {ratio}", file=sys.stderr, flush=True)
    report = {
        "environment": environment(),
        "shape": list(SHAPE),
        "repeats": args.repeats,
        "min_time_s": args.min_time,
        "summary": summary(rows),
        "rows": rows,
    }
    print(
        f"torch {torch.__version__} on {torch.get_num_threads()} thread(s), numpy {np.__version__}, "
        f"{SHAPE[0] * SHAPE[1]} elements, median of {args.repeats}"
    )
    print_table(rows)
    s = report["summary"]
    print(
        f"{s['measured']} rows measured ({s['entries_measured']} entries), worst {s['worst']}, "
        f"{len(s['over_limit'])} over {LIMIT:g}x, {len(s['values_differ'])} with differing values"
    )
    load, cpus = report["environment"]["load_average_1min"], report["environment"]["cpu_count"]
    if cpus and load > cpus:
        print(f"warning: load average {load:.1f} exceeds {cpus} CPUs: timings are noisy, torch's threads suffer most")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
