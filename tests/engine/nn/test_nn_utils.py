"""torch.nn.utils against real torch, side by side: gradient clipping, parameter/vector conversion, packed
sequences (and RNN/LSTM/GRU on them), parametrize and weight normalisation.

Every test runs the same program on torch and on the engine and compares values, dtypes, shapes, grads,
grad_fn names where the engine builds torch's graph (pack/pad, weight norm), warnings and errors (type and
message). Tolerances are the conformance suite's per-dtype ones, tighter in float64 where the arithmetic is
torch's own; the recurrent layers use test_rnn's.
"""

from __future__ import annotations

import copy
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as E
import reference_engine.nn.utils
from conformance.compare import Tolerance
from reference_engine.nn.utils import clip_grad_norm_
from reference_engine.nn.utils.rnn import pad_sequence
from tests.helpers import as_engine, as_numpy, assert_close, error_of, graph_tree

DTYPES = [torch.float32, torch.float64]
OVER_DTYPES = pytest.mark.parametrize("tdt", DTYPES, ids=["float32", "float64"])
EDT = {torch.float32: E.float32, torch.float64: E.float64}
RNN_TOL = {
    torch.float64: Tolerance(1e-12, 1e-13, "the same step formulas as torch's CPU layers"),
    torch.float32: Tolerance(1e-5, 1e-6, "float32 gemm and SLEEF sigmoid/tanh round differently"),
}


def same(actual: Any, expected: Any, what: str = "", tolerance: Tolerance | None = None) -> None:
    """Engine tensor vs torch tensor: dtype (by name), shape, requires_grad, then values."""
    assert isinstance(actual, E.Tensor), f"{what}: engine gave {type(actual).__name__}"
    assert str(actual.dtype) == str(expected.dtype), f"{what}: {actual.dtype} vs {expected.dtype}"
    assert tuple(actual.shape) == tuple(expected.shape), f"{what}: {tuple(actual.shape)} vs {tuple(expected.shape)}"
    assert actual.requires_grad == expected.requires_grad, what
    assert_close(actual, expected, what, tolerance)


def same_error(prog: Callable[[Any], Any]) -> None:
    """``prog(lib)`` raises the same exception type and message on both (warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = error_of(lambda: prog(torch))
        got = error_of(lambda: prog(E))
    assert want is not None, "torch did not raise"
    assert got is not None, f"engine did not raise; torch raised {type(want).__name__}: {want}"
    assert (type(got).__name__, str(got)) == (type(want).__name__, str(want))


def caught_warnings(fn: Callable[[], Any]) -> tuple[Any, list[tuple[str, str]]]:
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return out, [(x.category.__name__, str(x.message)) for x in w]


def data(shape: tuple[int, ...], seed: int, dtype: torch.dtype = torch.float64) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(str(dtype).split(".")[1])


def test_namespace_matches_torch() -> None:
    assert reference_engine.nn.utils is E.nn.utils
    assert clip_grad_norm_ is E.nn.utils.clip_grad_norm_
    assert pad_sequence is E.nn.utils.rnn.pad_sequence
    provided = {
        "clip_grad", "clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
        "convert_parameters", "get_total_norm", "parameters_to_vector", "parametrizations", "parametrize",
        "remove_weight_norm", "rnn", "vector_to_parameters", "weight_norm",
    }  # fmt: skip
    assert provided <= set(dir(torch.nn.utils))
    assert provided <= set(dir(E.nn.utils))
    assert set(E.nn.utils.rnn.__all__) == set(torch.nn.utils.rnn.__all__)
    assert callable(E.norm_except_dim) and callable(E._weight_norm)


# =========================================================================== clip_grad
def _params(lib: Any, tdt: torch.dtype, grads: bool = True) -> list[Any]:
    """Four parameters, three with grads (one of them 0-d), one without."""
    shapes = [(3, 4), (5,), (), (2, 2)]
    params = []
    for i, shape in enumerate(shapes):
        p = lib.nn.Parameter(lib.tensor(data(shape, i, tdt)))
        if grads and i != 3:
            p.grad = lib.tensor(data(shape, 10 + i, tdt) * (3.0 if i == 0 else 1.0))
        params.append(p)
    return params


def _after_clip(lib: Any, tdt: torch.dtype, fn: Callable[[list[Any]], Any]) -> tuple[Any, list[Any]]:
    params = _params(lib, tdt)
    out = fn(params)
    return out, [p.grad for p in params]


NORM_TYPES = [2.0, 1, 3, 0.5, float("inf"), -float("inf"), 0, "inf"]


@OVER_DTYPES
@pytest.mark.parametrize("foreach", [None, True, False], ids=["foreach_none", "foreach", "no_foreach"])
@pytest.mark.parametrize("max_norm", [0.3, 1e3], ids=["clips", "no_clip"])
@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=[str(n) for n in NORM_TYPES])
def test_clip_grad_norm_matches_torch(norm_type: Any, max_norm: float, foreach: Any, tdt: torch.dtype) -> None:
    def prog(lib: Any) -> tuple[Any, list[Any]]:
        return _after_clip(
            lib, tdt, lambda ps: lib.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type, foreach=foreach)
        )

    (e_total, e_grads), (t_total, t_grads) = prog(E), prog(torch)
    same(e_total, t_total, "total norm")
    for i, (e, t) in enumerate(zip(e_grads, t_grads, strict=True)):
        if t is None:
            assert e is None
        else:
            same(e, t, f"grad {i}")


@OVER_DTYPES
def test_clip_grad_norm_training_step_matches_torch(tdt: torch.dtype) -> None:
    def prog(lib: Any) -> tuple[Any, ...]:
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2)).to(
            tdt if lib is torch else EDT[tdt]
        )
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        x = lib.tensor(data((6, 4), 1, tdt))
        y = lib.tensor(data((6, 2), 2, tdt) * 10)
        norms = []
        for _ in range(3):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            norms.append(lib.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5))
            opt.step()
        return (*norms, *[p.detach() for p in model.parameters()])

    for i, (e, t) in enumerate(zip(prog(E), prog(torch), strict=True)):
        same(e, t, f"output {i}")


def test_clip_grad_norm_inputs_match_torch() -> None:
    def single(lib: Any) -> Any:
        p = lib.nn.Parameter(lib.tensor([3.0, 4.0]))
        p.grad = lib.tensor([3.0, 4.0])
        return lib.nn.utils.clip_grad_norm_(p, 1.0), p.grad

    def none_have_grads(lib: Any) -> Any:
        return lib.nn.utils.clip_grad_norm_(_params(lib, torch.float64, grads=False), 1.0)

    def mixed_dtypes(lib: Any) -> Any:
        p = lib.nn.Parameter(lib.tensor([3.0, 4.0]))
        q = lib.nn.Parameter(lib.tensor([1.0], dtype=lib.float64))
        p.grad, q.grad = lib.tensor([3.0, 4.0]), lib.tensor([30.0], dtype=lib.float64)
        return lib.nn.utils.clip_grad_norm_([p, q], 1.0), p.grad, q.grad

    def nonfinite_kept(lib: Any) -> Any:
        p = lib.nn.Parameter(lib.tensor([3.0, 4.0]))
        p.grad = lib.tensor([float("inf"), 1.0])
        return lib.nn.utils.clip_grad_norm_([p], 1.0), p.grad

    for prog in (single, none_have_grads, mixed_dtypes, nonfinite_kept):
        got, want = prog(E), prog(torch)
        got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
        for e, t in zip(got, want, strict=True):
            same(e, t, prog.__name__)
    (e_total, t_total) = (
        E.nn.utils.clip_grad_norm_((p for p in _params(E, torch.float32)), 0.1),
        torch.nn.utils.clip_grad_norm_((p for p in _params(torch, torch.float32)), 0.1),
    )
    same(e_total, t_total, "generator")


def test_clip_grad_norm_warnings_match_torch() -> None:
    def empty_generator(lib: Any) -> Any:
        return caught_warnings(lambda: lib.nn.utils.clip_grad_norm_((p for p in []), 1.0))

    def deprecated(lib: Any) -> Any:
        return caught_warnings(lambda: lib.nn.utils.clip_grad_norm(_params(lib, torch.float32), 1.0))

    def empty_list(lib: Any) -> Any:
        return caught_warnings(lambda: lib.nn.utils.clip_grad_norm_([], 1.0))

    for prog in (empty_generator, deprecated, empty_list):
        (e_out, e_w), (t_out, t_w) = prog(E), prog(torch)
        same(e_out, t_out, prog.__name__)
        assert e_w == t_w, prog.__name__


@pytest.mark.parametrize(
    "prog",
    [
        lambda lib: lib.nn.utils.clip_grad_norm_(_params(lib, torch.float32), "a"),
        lambda lib: lib.nn.utils.clip_grad_norm_(_params(lib, torch.float32), None),
        lambda lib: lib.nn.utils.clip_grad_norm_(_params(lib, torch.float32), 1.0, norm_type=None),
        lambda lib: lib.nn.utils.clip_grad_norm_(_params(lib, torch.float32), 1.0, norm_type="fro"),
        lambda lib: lib.nn.utils.clip_grad_norm_([3], 1.0),
        lambda lib: lib.nn.utils.get_total_norm([lib.tensor([3, 4])]),
        lambda lib: lib.nn.utils.get_total_norm([lib.tensor([3, 4])], foreach=False),
        lambda lib: lib.nn.utils.clip_grads_with_norm_(_params(lib, torch.float32), 1.0, 5.0),
        lambda lib: lib.nn.utils.clip_grad_value_(_params(lib, torch.float32), None),
        lambda lib: lib.nn.utils.clip_grad_value_(_params(lib, torch.float32), "x"),
    ],
    ids=[
        "max_norm_str", "max_norm_none", "norm_type_none", "norm_type_fro", "not_a_tensor", "integer_tensors",
        "integer_tensors_no_foreach", "float_total_norm", "clip_value_none", "clip_value_str",
    ],
)  # fmt: skip
def test_clip_grad_errors_match_torch(prog: Callable[[Any], Any]) -> None:
    same_error(prog)


@pytest.mark.parametrize("norm_type", [2.0, float("inf"), 1], ids=["2", "inf", "1"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")], ids=["nan", "inf", "-inf"])
def test_error_if_nonfinite_matches_torch(bad: float, norm_type: float) -> None:
    def prog(lib: Any) -> Any:
        ps = _params(lib, torch.float32)
        ps[1].grad[2] = bad
        return lib.nn.utils.clip_grad_norm_(ps, 1.0, norm_type=norm_type, error_if_nonfinite=True)

    same_error(prog)


@OVER_DTYPES
@pytest.mark.parametrize("norm_type", [2.0, "inf", 1.5], ids=["2", "inf", "1.5"])
def test_get_total_norm_and_clip_grads_with_norm_match_torch(norm_type: Any, tdt: torch.dtype) -> None:
    def prog(lib: Any) -> list[Any]:
        ps = _params(lib, tdt)
        total = lib.nn.utils.get_total_norm([p.grad for p in ps if p.grad is not None], norm_type)
        single = lib.nn.utils.get_total_norm(ps[0].grad, norm_type)
        of_params = lib.nn.utils.get_total_norm(ps, norm_type)  # Parameters: torch's non-foreach path
        out = lib.nn.utils.clip_grads_with_norm_(ps, 0.5, total)
        assert out is None
        return [total, single, of_params, *[p.grad for p in ps[:3]]]

    for i, (e, t) in enumerate(zip(prog(E), prog(torch), strict=True)):
        same(e, t, f"output {i}")


@OVER_DTYPES
@pytest.mark.parametrize("foreach", [None, True, False], ids=["foreach_none", "foreach", "no_foreach"])
@pytest.mark.parametrize("clip_value", [0.25, -0.5, 2], ids=["0.25", "negative", "int"])
def test_clip_grad_value_matches_torch(clip_value: float, foreach: Any, tdt: torch.dtype) -> None:
    def prog(lib: Any) -> list[Any]:
        ps = _params(lib, tdt)
        ps[1].grad[0] = float("nan")
        out = lib.nn.utils.clip_grad_value_(ps, clip_value, foreach=foreach)
        assert out is None
        single = lib.nn.Parameter(lib.tensor([-3.0, 0.1, 3.0]))
        single.grad = lib.tensor([-3.0, 0.1, 3.0])
        lib.nn.utils.clip_grad_value_(single, clip_value)
        return [p.grad for p in ps[:3]] + [single.grad, ps[3].grad]

    got, want = prog(E), prog(torch)
    assert want[-1] is None and got[-1] is None
    for i, (e, t) in enumerate(zip(got[:-1], want[:-1], strict=True)):
        same(e, t, f"grad {i}")


def test_clipping_records_no_graph_and_bumps_versions() -> None:
    def prog(lib: Any) -> list[Any]:
        p = lib.nn.Parameter(lib.tensor([3.0, 4.0]))
        (p * p).sum().backward(create_graph=True)  # a grad that requires grad
        v0 = p.grad._version
        total = lib.nn.utils.clip_grad_norm_([p], 1.0)
        return [total.requires_grad, total.grad_fn is None, p.grad.requires_grad, p.grad._version - v0]

    assert prog(E) == prog(torch)


# =========================================================================== convert_parameters
@OVER_DTYPES
def test_parameters_to_vector_and_back_match_torch(tdt: torch.dtype) -> None:
    def prog(lib: Any) -> list[Any]:
        ps = _params(lib, tdt)
        vec = lib.nn.utils.parameters_to_vector(ps)
        (vec * lib.arange(vec.numel(), dtype=vec.dtype)).sum().backward()
        new = lib.tensor(data((vec.numel(),), 99, tdt))
        lib.nn.utils.vector_to_parameters(new, ps)
        new[0] = 7.0  # the parameters now look into ``new``
        return [vec, *[p.grad for p in ps], *[p.detach().clone() for p in ps]]

    got, want = prog(E), prog(torch)
    assert graph_tree(got[0]) == graph_tree(want[0])
    for i, (e, t) in enumerate(zip(got, want, strict=True)):
        if t is None:
            assert e is None
        else:
            same(e, t, f"output {i}")


def test_parameters_to_vector_mixed_dtypes_matches_torch() -> None:
    def prog(lib: Any) -> Any:
        return lib.nn.utils.parameters_to_vector([lib.ones(2), lib.ones(1, dtype=lib.float64)])

    same(prog(E), prog(torch), "promoted")


@pytest.mark.parametrize(
    "prog",
    [
        lambda lib: lib.nn.utils.vector_to_parameters([1, 2], [lib.ones(2)]),
        lambda lib: lib.nn.utils.vector_to_parameters(np.ones(2), [lib.ones(2)]),
        lambda lib: lib.nn.utils.vector_to_parameters(lib.arange(2.0), [lib.ones(2), lib.ones(1)]),
        lambda lib: lib.nn.utils.parameters_to_vector([lib.ones(2, 3).t()]),
        lambda lib: lib.nn.utils.parameters_to_vector([]),
    ],
    ids=["list", "ndarray", "too_short", "not_viewable", "empty"],
)
def test_convert_parameters_errors_match_torch(prog: Callable[[Any], Any]) -> None:
    same_error(prog)


# =========================================================================== packed sequences
def _seqs(lib: Any, lengths: list[int], tdt: torch.dtype, trailing: tuple[int, ...] = (2,), grad: bool = True) -> list:
    return [lib.tensor(data((n, *trailing), 20 + i, tdt), requires_grad=grad) for i, n in enumerate(lengths)]


def _compare_outputs(got: Any, want: Any, what: str, tol: Tolerance | None = None) -> None:
    """Tensors, PackedSequences, tuples and lists, with grad_fn names (torch's graph for these ops)."""
    if isinstance(want, torch.Tensor):
        same(got, want, what, tol)
        assert graph_tree(got) == graph_tree(want), what
    elif want is None:
        assert got is None, what
    elif isinstance(want, torch.nn.utils.rnn.PackedSequence):
        assert type(got).__name__ == "PackedSequence", what
        assert got._fields == want._fields
        for f in want._fields:
            _compare_outputs(getattr(got, f), getattr(want, f), f"{what}.{f}", tol)
    elif isinstance(want, tuple | list):
        assert type(got) is type(want) and len(got) == len(want), what
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _compare_outputs(g, w, f"{what}[{i}]", tol)
    else:
        assert got == want, what


def _compare_with_grads(prog: Callable[[Any], tuple[Any, list[Any]]]) -> None:
    """``prog(lib)`` -> (outputs, leaves): outputs compared, then the leaves' grads of a weighted sum."""
    (e_out, e_leaves), (t_out, t_leaves) = prog(E), prog(torch)
    _compare_outputs(e_out, t_out, "output")

    def weighted(out: Any, lib: Any) -> Any:
        flat: list[Any] = []

        def walk(o: Any) -> None:
            if isinstance(o, tuple | list):
                for x in o:
                    walk(x)
            elif isinstance(o, torch.Tensor | E.Tensor) and o.requires_grad:
                flat.append(o)

        walk(out)
        return sum((o * lib.arange(1, o.numel() + 1, dtype=o.dtype).reshape(o.shape).sin()).sum() for o in flat)

    weighted(t_out, torch).backward()
    weighted(e_out, E).backward()
    for i, (e, t) in enumerate(zip(e_leaves, t_leaves, strict=True)):
        if t.grad is None:
            assert e.grad is None, f"grad {i}"
        else:
            same(e.grad, t.grad, f"grad {i}")


PAD_OPTIONS = {
    "default": {},
    "batch_first": {"batch_first": True},
    "left": {"padding_side": "left"},
    "left_batch_first_value": {"padding_side": "left", "batch_first": True, "padding_value": -2.5},
    "int_value": {"padding_value": 3},
}


@OVER_DTYPES
@pytest.mark.parametrize("trailing", [(2,), (), (2, 3)], ids=["features", "scalars", "two_dims"])
@pytest.mark.parametrize("options", list(PAD_OPTIONS))
def test_pad_sequence_matches_torch(options: str, trailing: tuple[int, ...], tdt: torch.dtype) -> None:
    def prog(lib: Any) -> tuple[Any, list[Any]]:
        seqs = _seqs(lib, [3, 1, 4], tdt, trailing)
        return lib.nn.utils.rnn.pad_sequence(seqs, **PAD_OPTIONS[options]), seqs

    _compare_with_grads(prog)


def test_pad_sequence_inputs_match_torch() -> None:
    progs = {
        "ints_float_value": lambda lib: lib.nn.utils.rnn.pad_sequence(
            [lib.tensor([1, 2]), lib.tensor([3])], padding_value=0.5
        ),
        "mixed_dtypes": lambda lib: lib.nn.utils.rnn.pad_sequence(
            [lib.tensor([1.0, 2.0]), lib.tensor([3.0], dtype=lib.float64)], padding_value=9.5
        ),
        "broadcast_trailing": lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(3, 2), lib.ones(2, 1) * 2]),
        "tensor_of_sequences": lambda lib: lib.nn.utils.rnn.pad_sequence(lib.arange(6.0).reshape(2, 3)),
        "tuple": lambda lib: lib.nn.utils.rnn.pad_sequence((lib.ones(2), lib.ones(1)), True),
        "generator": lambda lib: lib.nn.utils.rnn.pad_sequence(lib.ones(n) for n in (1, 3)),
        "no_grad_input": lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(2)]),
    }
    for name, prog in progs.items():
        _compare_outputs(prog(E), prog(torch), name)


@pytest.mark.parametrize(
    "prog",
    [
        lambda lib: lib.nn.utils.rnn.pad_sequence([]),
        lambda lib: lib.nn.utils.rnn.pad_sequence([lib.tensor(1.0)]),
        lambda lib: lib.nn.utils.rnn.pad_sequence([lib.tensor(1.0)], padding_side="middle"),
        lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(2)], padding_side="middle"),
        lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(3, 2), lib.tensor(1.0)]),
        lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(3, 2), lib.ones(2, 3)]),
        lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(3, 2), [1, 2]]),
        lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(3)], padding_value=None),
        lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(3)], batch_first=1),
        lambda lib: lib.nn.utils.rnn.pad_sequence(lib.tensor(1.0)),
        lambda lib: lib.nn.utils.rnn.pad_sequence(3),
    ],
    ids=[
        "empty", "zero_dim", "zero_dim_bad_side", "bad_side", "zero_dim_later", "trailing_mismatch", "not_tensor",
        "padding_value_none", "batch_first_int", "zero_dim_tensor", "not_iterable",
    ],
)  # fmt: skip
def test_pad_sequence_errors_match_torch(prog: Callable[[Any], Any]) -> None:
    same_error(prog)


PACK_CASES = {
    "sorted_list": ([4, 2, 2, 1], {}),
    "sorted_tensor": ([4, 3, 1], {"as_tensor": True}),
    "unsorted": ([2, 4, 1, 3], {"enforce_sorted": False}),
    "unsorted_batch_first": ([1, 3, 3], {"enforce_sorted": False, "batch_first": True}),
    "batch_first": ([3, 3, 1], {"batch_first": True}),
    "int32_lengths": ([4, 2], {"as_tensor": True, "dtype": "int32"}),
    "float_lengths": ([4, 2], {"as_tensor": True, "dtype": "float64"}),
    "all_equal": ([3, 3], {}),
    "single": ([2], {"enforce_sorted": False}),
}


@OVER_DTYPES
@pytest.mark.parametrize("trailing", [(2,), ()], ids=["features", "scalars"])
@pytest.mark.parametrize("case", list(PACK_CASES))
def test_pack_then_pad_round_trip_matches_torch(case: str, trailing: tuple[int, ...], tdt: torch.dtype) -> None:
    lengths, opts = PACK_CASES[case]
    opts = dict(opts)
    as_tensor, ldtype = opts.pop("as_tensor", False), opts.pop("dtype", "int64")
    batch_first = opts.get("batch_first", False)

    def prog(lib: Any) -> tuple[Any, list[Any]]:
        t = max(lengths)
        shape = (len(lengths), t, *trailing) if batch_first else (t, len(lengths), *trailing)
        x = lib.tensor(data(shape, 5, tdt), requires_grad=True)
        lens = lib.tensor(lengths, dtype=getattr(lib, ldtype)) if as_tensor else lengths
        packed = lib.nn.utils.rnn.pack_padded_sequence(x, lens, **opts)
        padded = lib.nn.utils.rnn.pad_packed_sequence(packed, batch_first=batch_first)
        padded_more = lib.nn.utils.rnn.pad_packed_sequence(
            packed, batch_first=batch_first, padding_value=-1.5, total_length=t + 2
        )
        unpacked = lib.nn.utils.rnn.unpack_sequence(packed)
        return (packed, padded, padded_more, unpacked), [x]

    _compare_with_grads(prog)


@OVER_DTYPES
@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
def test_pack_sequence_and_unpack_match_torch(enforce_sorted: bool, tdt: torch.dtype) -> None:
    lengths = [4, 3, 1] if enforce_sorted else [1, 4, 3]

    def prog(lib: Any) -> tuple[Any, list[Any]]:
        seqs = _seqs(lib, lengths, tdt)
        packed = lib.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=enforce_sorted)
        return (packed, lib.nn.utils.rnn.unpack_sequence(packed)), seqs

    _compare_with_grads(prog)


def test_unpad_sequence_matches_torch() -> None:
    def prog(lib: Any) -> tuple[Any, list[Any]]:
        seqs = _seqs(lib, [2, 4, 1], torch.float64)
        padded = lib.nn.utils.rnn.pad_sequence(seqs)
        lengths = lib.tensor([2, 4, 1])
        out = lib.nn.utils.rnn.unpad_sequence(padded, lengths)
        # not batch_first: torch transposes ``padded`` in place
        batch_first = lib.nn.utils.rnn.unpad_sequence(padded, lengths, batch_first=True)
        return (out, batch_first, padded, padded._version > 0), seqs

    _compare_with_grads(prog)


def test_pad_and_pack_double_backward_match_torch() -> None:
    def prog(lib: Any) -> list[Any]:
        x = lib.tensor(data((3, 2, 2), 8, torch.float64), requires_grad=True)
        packed = lib.nn.utils.rnn.pack_padded_sequence(x * x, [3, 2])
        padded, _ = lib.nn.utils.rnn.pad_packed_sequence(packed)
        (g,) = lib.autograd.grad((padded * padded).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        return [g, gg]

    for i, (e, t) in enumerate(zip(prog(E), prog(torch), strict=True)):
        same(e, t, f"order {i + 1}")


@pytest.mark.parametrize(
    "prog",
    [
        lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4, 3, 2), [1, 2, 3]),
        lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4, 3, 2), [3, 2]),
        lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4, 3, 2), [3, 2, 0]),
        lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4, 3, 2), [3, -2, 1], enforce_sorted=False),
        lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4, 3, 2), lib.tensor([[3, 2, 1]])),
        lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(0, 3, 2), [3, 2, 1]),
        lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4), [3]),
        lambda lib: lib.nn.utils.rnn.pack_sequence([lib.ones(2, 2), lib.ones(3, 2)]),
        lambda lib: lib.nn.utils.rnn.pack_sequence([]),
        lambda lib: lib.nn.utils.rnn.pad_packed_sequence(
            lib.nn.utils.rnn.pack_sequence([lib.ones(3), lib.ones(1)]), total_length=2
        ),
        lambda lib: lib.nn.utils.rnn.pad_packed_sequence(
            lib.nn.utils.rnn.PackedSequence(lib.ones(3), lib.tensor([2, 1.0]))
        ),
        lambda lib: lib.nn.utils.rnn.pad_packed_sequence((lib.ones(3), lib.tensor([2, 1]))),
        lambda lib: lib.nn.utils.rnn.PackedSequence(lib.ones(3)),
        lambda lib: lib.nn.utils.rnn.unpad_sequence(lib.ones(3, 2, 2), [3, 1]),
        lambda lib: lib.nn.utils.rnn.unpad_sequence(lib.ones(3, 2, 2, requires_grad=True), lib.tensor([3, 1])),
        lambda lib: lib.nn.utils.rnn.unpad_sequence(lib.ones(3, 2, 2), lib.tensor([3, 1]), batch_first=True),
    ],
    ids=[
        "unsorted_lengths", "too_few_lengths", "zero_length", "negative_length_unsorted", "lengths_2d",
        "empty_input", "one_dim_input", "pack_sequence_unsorted", "pack_sequence_empty", "total_length_short",
        "float_batch_sizes", "not_packed", "packed_one_argument", "unpad_list_lengths", "unpad_leaf",
        "unpad_length_mismatch",
    ],
)  # fmt: skip
def test_packed_sequence_errors_match_torch(prog: Callable[[Any], Any]) -> None:
    same_error(prog)


def test_packed_sequence_object_matches_torch() -> None:
    def prog(lib: Any) -> list[Any]:
        rnn = lib.nn.utils.rnn
        x = lib.tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6]])
        packed = rnn.pack_padded_sequence(x, [2, 1, 3], batch_first=True, enforce_sorted=False)
        as_double = packed.double()
        from_pair = rnn.PackedSequence((lib.ones(3), lib.tensor([2, 1])))
        return [
            repr(packed),
            packed._fields,
            len(packed),
            packed.to(lib.int64) is packed,
            packed.to("cpu") is packed,
            as_double.data,
            as_double.sorted_indices,
            as_double.unsorted_indices,
            packed.float().data,
            packed.long() is packed,
            packed.is_cuda,
            repr(from_pair),
            rnn.invert_permutation(lib.tensor([2, 0, 3, 1])),
            rnn.invert_permutation(None),
            isinstance(packed, tuple),
            [str(t.dtype) for t in packed[1:]],
        ]

    got, want = prog(E), prog(torch)
    for i, (e, t) in enumerate(zip(got, want, strict=True)):
        if isinstance(t, torch.Tensor):
            same(e, t, f"item {i}")
        else:
            assert e == t, f"item {i}"


# =========================================================================== RNNs on packed sequences
LAYERS: dict[str, Callable[[Any], Any]] = {
    "lstm": lambda nn: nn.LSTM(3, 4),
    "lstm_2layer_bidir": lambda nn: nn.LSTM(3, 4, num_layers=2, bidirectional=True),
    "lstm_proj_bidir_batch_first": lambda nn: nn.LSTM(3, 5, num_layers=2, proj_size=2, bidirectional=True, batch_first=True),
    "gru": lambda nn: nn.GRU(3, 4),
    "gru_2layer_bidir_nobias": lambda nn: nn.GRU(3, 4, num_layers=2, bidirectional=True, bias=False),
    "rnn_tanh_bidir": lambda nn: nn.RNN(3, 4, bidirectional=True),
    "rnn_relu_2layer_batch_first": lambda nn: nn.RNN(3, 4, 2, "relu", batch_first=True),
}  # fmt: skip


def _rnn_pair(name: str, tdt: torch.dtype) -> tuple[Any, Any]:
    torch.manual_seed(0)
    tm = LAYERS[name](torch.nn).to(tdt)
    E.manual_seed(0)
    em = LAYERS[name](E.nn).to(EDT[tdt])
    for (k, t), (ek, e) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        assert k == ek and np.array_equal(as_numpy(e), as_numpy(t)), k
    return tm, em


def _initial_states(tm: Any, batch: int, tdt: torch.dtype) -> list[np.ndarray]:
    first = tm.num_layers * (2 if tm.bidirectional else 1)
    sizes = [tm.proj_size or tm.hidden_size] + ([tm.hidden_size] if isinstance(tm, torch.nn.LSTM) else [])
    return [data((first, batch, s), 40 + i, tdt) for i, s in enumerate(sizes)]


def _packed_run(m: Any, lib: Any, x: np.ndarray, lengths: list[int], states: list[np.ndarray] | None,
                enforce_sorted: bool) -> tuple[Any, list[Any]]:  # fmt: skip
    xt = lib.tensor(x, requires_grad=True)
    packed = lib.nn.utils.rnn.pack_padded_sequence(
        xt, lengths, batch_first=m.batch_first, enforce_sorted=enforce_sorted
    )
    leaves = [xt]
    args: list[Any] = [packed]
    if states is not None:
        hs = [lib.tensor(s, requires_grad=True) for s in states]
        leaves += hs
        args.append(tuple(hs) if len(hs) == 2 else hs[0])
    out, hidden = m(*args)
    padded, out_lengths = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=m.batch_first)
    leaves += list(m.parameters())
    return (out, hidden, padded, out_lengths), leaves


@OVER_DTYPES
@pytest.mark.parametrize("with_state", [False, True], ids=["no_h0", "h0"])
@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_rnn_on_packed_sequence_matches_torch(
    name: str, enforce_sorted: bool, with_state: bool, tdt: torch.dtype
) -> None:
    tm, em = _rnn_pair(name, tdt)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    x = data((4, 5, 3) if tm.batch_first else (5, 4, 3), 7, tdt)
    states = _initial_states(tm, 4, tdt) if with_state else None
    (t_out, t_leaves), (e_out, e_leaves) = (
        _packed_run(tm, torch, x, lengths, states, enforce_sorted),
        _packed_run(em, E, x, lengths, states, enforce_sorted),
    )
    t_packed, t_hidden, t_padded, t_lengths = t_out
    e_packed, e_hidden, e_padded, e_lengths = e_out
    assert type(e_packed).__name__ == "PackedSequence"
    tol = RNN_TOL[tdt]
    same(e_packed.data, t_packed.data, "packed output", tol)
    assert type(e_packed.data.grad_fn).__name__ == type(t_packed.data.grad_fn).__name__  # CatBackward0
    for f in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        if getattr(t_packed, f) is None:
            assert getattr(e_packed, f) is None
        else:
            same(getattr(e_packed, f), getattr(t_packed, f), f)
    t_h = t_hidden if isinstance(t_hidden, tuple) else (t_hidden,)
    e_h = e_hidden if isinstance(e_hidden, tuple) else (e_hidden,)
    assert isinstance(e_hidden, tuple) == isinstance(t_hidden, tuple)
    for i, (e, t) in enumerate(zip(e_h, t_h, strict=True)):
        same(e, t, f"final state {i}", tol)
        assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__  # StackBackward0 / IndexSelectBackward0
    same(e_padded, t_padded, "padded output", tol)
    same(e_lengths, t_lengths, "lengths")
    w_out = torch.tensor(data(tuple(t_padded.shape), 60, tdt))
    w_h = [torch.tensor(data(tuple(t.shape), 61 + i, tdt)) for i, t in enumerate(t_h)]
    (sum((h * w).sum() for h, w in zip(t_h, w_h, strict=True)) + (t_padded * w_out).sum()).backward()
    (
        sum((h * as_engine(w)).sum() for h, w in zip(e_h, w_h, strict=True)) + (e_padded * as_engine(w_out)).sum()
    ).backward()
    for i, (e, t) in enumerate(zip(e_leaves, t_leaves, strict=True)):
        same(e.grad, t.grad, f"grad of leaf {i}", tol)


@pytest.mark.parametrize("name", ["lstm_2layer_bidir", "gru_2layer_bidir_nobias", "rnn_relu_2layer_batch_first"])
def test_rnn_on_packed_sequence_with_dropout_matches_torch(name: str) -> None:
    torch.manual_seed(0)
    tm = LAYERS[name](torch.nn).double()
    E.manual_seed(0)
    em = LAYERS[name](E.nn).double()
    tm.dropout = em.dropout = 0.4
    x = data((4, 5, 3) if tm.batch_first else (5, 4, 3), 7, torch.float64)
    torch.manual_seed(3)
    E.manual_seed(3)
    (t_out, t_leaves), (e_out, e_leaves) = (
        _packed_run(tm, torch, x, [3, 5, 1, 3], None, False),
        _packed_run(em, E, x, [3, 5, 1, 3], None, False),
    )
    assert torch.rand(1).item() == E.rand(1).item()  # the generators advanced alike
    same(e_out[2], t_out[2], "padded output", RNN_TOL[torch.float64])
    t_out[2].sum().backward()
    e_out[2].sum().backward()
    for i, (e, t) in enumerate(zip(e_leaves, t_leaves, strict=True)):
        same(e.grad, t.grad, f"grad of leaf {i}", RNN_TOL[torch.float64])


def test_lstm_classifier_on_packed_sequences_matches_torch() -> None:
    """The usual recipe: embeddings, pack, LSTM, the last hidden state into a linear head, a loss."""

    def prog(lib: Any) -> list[Any]:
        lib.manual_seed(0)
        emb = lib.nn.Embedding(10, 3).double()
        lstm = lib.nn.LSTM(3, 4, batch_first=True, bidirectional=True).double()
        head = lib.nn.Linear(8, 2).double()
        tokens = lib.tensor([[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]])
        lengths = lib.tensor([3, 2, 4])
        packed = lib.nn.utils.rnn.pack_padded_sequence(emb(tokens), lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = lstm(packed)
        logits = head(lib.cat([h[-2], h[-1]], dim=1))
        loss = lib.nn.functional.cross_entropy(logits, lib.tensor([0, 1, 1]))
        loss.backward()
        return [loss, logits, *[p.grad for m in (emb, lstm, head) for p in m.parameters()]]

    for i, (e, t) in enumerate(zip(prog(E), prog(torch), strict=True)):
        same(e, t, f"output {i}", RNN_TOL[torch.float64])


@pytest.mark.parametrize(
    "prog",
    [
        lambda lib, p: lib.nn.GRU(2, 3)(p, lib.zeros(1, 2, 3)),
        lambda lib, p: lib.nn.GRU(2, 3)(p.to(lib.float64)),
        lambda lib, p: lib.nn.RNN(2, 3)(p, lib.zeros(3, 3)),
        lambda lib, p: lib.nn.GRU(5, 3)(p),
        lambda lib, p: lib.nn.LSTM(2, 3)(p.to(lib.float64)),
        lambda lib, p: lib.nn.RNN(2, 3, bidirectional=True)(p, lib.zeros(1, 3, 3)),
    ],
    ids=["gru_state_batch", "gru_dtype", "rnn_state_2d", "input_size", "lstm_dtype", "bidir_state_layers"],
)
def test_rnn_on_packed_sequence_errors_match_torch(prog: Callable[[Any, Any], Any]) -> None:
    def run(lib: Any) -> Any:
        x = lib.tensor(data((4, 3, 2), 1, torch.float32))
        return prog(lib, lib.nn.utils.rnn.pack_padded_sequence(x, [4, 2, 1]))

    same_error(run)


# =========================================================================== weight norm
WN_MODULES: dict[str, Callable[[Any], Any]] = {
    "linear": lambda nn: nn.Linear(3, 4),
    "conv1d": lambda nn: nn.Conv1d(2, 3, 2),
}
WN_DIMS = [0, 1, None, -1, 2]


def _wn_input(name: str, lib: Any, tdt: torch.dtype) -> Any:
    shape = (5, 3) if name == "linear" else (2, 2, 5)
    return lib.tensor(data(shape, 3, tdt))


def _named(m: Any) -> list[tuple[str, Any]]:
    return list(m.named_parameters())


@OVER_DTYPES
@pytest.mark.parametrize(
    ("module", "dim"),
    [(m, d) for m in WN_MODULES for d in WN_DIMS if not (m == "linear" and d == 2)],  # a linear weight is 2-d
    ids=[f"{m}-{d}" for m in WN_MODULES for d in WN_DIMS if not (m == "linear" and d == 2)],
)
@pytest.mark.parametrize("api", ["parametrizations", "deprecated"])
def test_weight_norm_matches_torch(api: str, module: str, dim: Any, tdt: torch.dtype) -> None:
    def prog(lib: Any) -> tuple[Any, ...]:
        lib.manual_seed(0)
        m = WN_MODULES[module](lib.nn).to(tdt if lib is torch else EDT[tdt])
        if api == "parametrizations":
            _, w = caught_warnings(lambda: lib.nn.utils.parametrizations.weight_norm(m, dim=dim))
        else:
            _, w = caught_warnings(lambda: lib.nn.utils.weight_norm(m, dim=dim))
        x = _wn_input(module, lib, tdt)
        out = m(x)
        weight = m.weight
        (out * out).sum().backward()
        names = [n for n, _ in _named(m)]
        return out, weight, [p for _, p in _named(m)], [p.grad for _, p in _named(m)], names, w, type(m).__name__

    (e_out, e_w, e_ps, e_grads, e_names, e_warn, e_cls), (t_out, t_w, t_ps, t_grads, t_names, t_warn, t_cls) = (
        prog(E),
        prog(torch),
    )
    assert (e_names, e_warn, e_cls) == (t_names, t_warn, t_cls)
    same(e_out, t_out, "output")
    same(e_w, t_w, "weight")
    assert type(e_w.grad_fn).__name__ == type(t_w.grad_fn).__name__  # WeightNormInterfaceBackward0 or MulBackward0
    for i, (e, t) in enumerate(zip(e_ps + e_grads, t_ps + t_grads, strict=True)):
        same(e, t, f"parameter/grad {i}")


def test_weight_norm_state_dict_repr_and_removal_match_torch() -> None:
    def prog(lib: Any) -> list[Any]:
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2).double()
        lib.nn.utils.parametrizations.weight_norm(m)
        sd = m.state_dict()
        out = [repr(m), list(sd), lib.nn.utils.parametrize.is_parametrized(m)]
        out.append(lib.nn.utils.parametrize.is_parametrized(m, "weight"))
        out.append(lib.nn.utils.parametrize.is_parametrized(m, "bias"))
        out.append(lib.nn.utils.parametrize.type_before_parametrizations(m).__name__)
        # an old-style state dict (weight_g, weight_v) loads through torch's compat hook
        old = lib.nn.Linear(3, 2).double()
        lib.manual_seed(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.nn.utils.weight_norm(old)
        with lib.no_grad():
            old.weight_v.mul_(3.0)
        result = m.load_state_dict(old.state_dict())
        out += [repr(result), m.weight.detach().clone(), m.parametrizations.weight.original0.detach().clone()]
        lib.nn.utils.parametrize.remove_parametrizations(m, "weight")
        out += [type(m).__name__, [n for n, _ in m.named_parameters()], m.weight.detach().clone(), repr(m)]
        out.append(isinstance(m.weight, lib.nn.Parameter))
        lib.nn.utils.remove_weight_norm(old)
        out += [[n for n, _ in old.named_parameters()], old.weight.detach().clone(), len(old._forward_pre_hooks)]
        return out

    got, want = prog(E), prog(torch)
    for i, (e, t) in enumerate(zip(got, want, strict=True)):
        if isinstance(t, torch.Tensor):
            same(e, t, f"item {i}")
        else:
            assert e == t, f"item {i}"


@pytest.mark.parametrize(
    "prog",
    [
        lambda lib: lib.nn.utils.weight_norm(lib.nn.utils.weight_norm(lib.nn.Linear(2, 2))),
        lambda lib: lib.nn.utils.remove_weight_norm(lib.nn.Linear(2, 2)),
        lambda lib: lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(2, 2), name="nope"),
        lambda lib: lib.nn.utils.weight_norm(lib.nn.Linear(2, 2), name="nope"),
        lambda lib: lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(2, 2), dim=3),
        lambda lib: lib.nn.utils.parametrize.remove_parametrizations(lib.nn.Linear(2, 2), "weight"),
    ],
    ids=[
        "twice",
        "remove_missing",
        "no_such_tensor",
        "old_no_such_tensor",
        "dim_out_of_range",
        "remove_unparametrized",
    ],
)
def test_weight_norm_errors_match_torch(prog: Callable[[Any], Any]) -> None:
    same_error(prog)


@OVER_DTYPES
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2], ids=["0", "1", "2", "-1", "-2"])
def test_weight_norm_functions_and_double_backward_match_torch(dim: int, tdt: torch.dtype) -> None:
    def prog(lib: Any) -> list[Any]:
        v = lib.tensor(data((3, 2, 4), 1, tdt), requires_grad=True)
        g0 = lib.norm_except_dim(v.detach() * 1.5, 2, dim)
        g = g0.clone().requires_grad_(True)
        w = lib._weight_norm(v, g, dim)
        gv, gg = lib.autograd.grad((w * w.detach().cos()).sum(), (v, g), create_graph=True)
        second = lib.autograd.grad((gv * gv).sum() + (gg * gg).sum(), (v, g))
        return [g0, lib.norm_except_dim(v.detach(), 1, dim), w, gv, gg, *second]

    got, want = prog(E), prog(torch)
    assert type(got[2].grad_fn).__name__ == type(want[2].grad_fn).__name__
    tol = Tolerance(1e-5, 1e-5, "float32 norms summed in other orders") if tdt == torch.float32 else None
    for i, (e, t) in enumerate(zip(got, want, strict=True)):
        same(e, t, f"output {i}", tol)


# =========================================================================== parametrize
class _Symmetric:
    """A parametrization written against either library (the module class is made per library)."""

    @staticmethod
    def make(lib: Any, with_inverse: bool = True) -> Any:
        class Symmetric(lib.nn.Module):
            def forward(self, X: Any) -> Any:  # noqa: N803
                return X.triu() + X.triu(1).transpose(-1, -2)

        class SymmetricInv(Symmetric):
            def right_inverse(self, A: Any) -> Any:  # noqa: N803
                return A.triu()

        return SymmetricInv() if with_inverse else Symmetric()


def _scale(lib: Any, k: float) -> Any:
    class Scale(lib.nn.Module):
        def forward(self, X: Any) -> Any:  # noqa: N803
            return X * k

        def right_inverse(self, X: Any) -> Any:  # noqa: N803
            return X / k

    return Scale()


@OVER_DTYPES
def test_register_parametrization_matches_torch(tdt: torch.dtype) -> None:
    P = torch.nn.utils.parametrize

    def prog(lib: Any) -> list[Any]:
        P = lib.nn.utils.parametrize
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 3).to(tdt if lib is torch else EDT[tdt])
        P.register_parametrization(m, "weight", _Symmetric.make(lib))
        P.register_parametrization(m, "weight", _scale(lib, 2.0))
        out: list[Any] = [type(m).__name__, [n for n, _ in m.named_parameters()], list(m.state_dict()), repr(m)]
        w = m.weight
        out += [w, m.parametrizations.weight.original]
        x = lib.tensor(data((2, 3), 4, tdt))
        m(x).pow(2).sum().backward()
        out.append(m.parametrizations.weight.original.grad)
        # assignment goes through right_inverse (the original object is kept)
        orig = m.parametrizations.weight.original
        m.weight = lib.tensor(data((3, 3), 5, tdt))
        out += [m.parametrizations.weight.original is orig, m.weight, orig.detach().clone()]
        with P.cached():
            a, b = m.weight, m.weight
            out.append(a is b)
        out.append(m.weight is m.weight)
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
        out += [type(m).__name__, [n for n, _ in m.named_parameters()], m.weight.detach().clone()]
        out.append(m.weight is orig)
        return out

    got, want = prog(E), prog(torch)
    for i, (e, t) in enumerate(zip(got, want, strict=True)):
        if isinstance(t, torch.Tensor):
            same(e, t, f"item {i}")
            assert graph_tree(e) == graph_tree(t) or i != 4, f"item {i}"
        else:
            assert e == t, f"item {i}"
    assert P is torch.nn.utils.parametrize


def test_parametrize_buffer_and_deepcopy_match_torch() -> None:
    def prog(lib: Any) -> list[Any]:
        P = lib.nn.utils.parametrize
        m = lib.nn.BatchNorm1d(3)
        P.register_parametrization(m, "running_var", _scale(lib, 3.0))
        out = [list(dict(m.named_buffers())), m.running_var, P.is_parametrized(m, "running_var")]
        c = copy.deepcopy(m)
        out += [type(c).__name__, c.running_var, c is not m]
        P.remove_parametrizations(m, "running_var")
        out += [list(dict(m.named_buffers())), m.running_var, type(m).__name__]
        return out

    got, want = prog(E), prog(torch)
    for i, (e, t) in enumerate(zip(got, want, strict=True)):
        if isinstance(t, torch.Tensor):
            same(e, t, f"item {i}")
        else:
            assert e == t, f"item {i}"


def _shape_changer(lib: Any) -> Any:
    class First(lib.nn.Module):
        def forward(self, X: Any) -> Any:  # noqa: N803
            return X[0]

    return First()


def _dtype_changer(lib: Any) -> Any:
    class Double(lib.nn.Module):
        def forward(self, X: Any) -> Any:  # noqa: N803
            return X.double()

    return Double()


@pytest.mark.parametrize(
    "prog",
    [
        lambda lib: lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "nope", _scale(lib, 2.0)),
        lambda lib: lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "weight", _shape_changer(lib)),
        lambda lib: lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "weight", _dtype_changer(lib)),
        lambda lib: lib.nn.utils.parametrize.register_parametrization(
            lib.nn.utils.parametrize.register_parametrization(lib.nn.Linear(2, 2), "weight", _scale(lib, 2.0)),
            "weight",
            _shape_changer(lib),
        ),
        lambda lib: setattr(
            lib.nn.utils.parametrize.register_parametrization(
                lib.nn.Linear(2, 2), "weight", _Symmetric.make(lib, with_inverse=False)
            ),
            "weight",
            lib.ones(2, 2),
        ),
        lambda lib: lib.nn.utils.parametrize.remove_parametrizations(
            lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(2, 2)), "weight", leave_parametrized=False
        ),
        lambda lib: lib.nn.utils.parametrize.ParametrizationList([], lib.ones(2)),
    ],
    ids=["no_such_tensor", "shape", "dtype", "shape_second", "no_right_inverse", "sequence_unparametrized", "empty"],
)  # fmt: skip
def test_parametrize_errors_match_torch(prog: Callable[[Any], Any]) -> None:
    same_error(prog)


def test_parametrized_module_serialization_error_matches_torch() -> None:
    def prog(lib: Any) -> Any:
        m = lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(2, 2))
        return pickle.dumps(m)

    same_error(prog)
