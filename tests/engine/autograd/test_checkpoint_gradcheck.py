"""utils.checkpoint and autograd.gradcheck against real torch: values, grads, rerun counts, errors, messages."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.utils.checkpoint

import reference_engine as engine
import reference_engine.utils.checkpoint  # the submodule, imported as torch.utils.checkpoint above
from tests.helpers import assert_close, torch_release

LIBS = [torch, engine]


def _both(program: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Run ``program(lib)`` on torch and on the engine; each result is the value or ``(type name, message)``."""
    out = []
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = program(lib)
            except Exception as e:  # noqa: BLE001 - the error itself is what is compared
                value = (type(e).__name__, str(e))
        out.append((value, [(w.category.__name__, str(w.message)) for w in caught]))
    return out[0], out[1]


def _x(lib: Any, shape: tuple[int, ...] = (3, 4), dtype: str = "float64") -> Any:
    data = np.linspace(-0.9, 0.8, int(np.prod(shape))).reshape(shape).astype(dtype)
    return lib.tensor(data, requires_grad=True)


@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("preserve", [True, False])
def test_checkpoint_matches_torch(reentrant: bool, preserve: bool) -> None:
    def program(lib: Any) -> Any:
        lib.manual_seed(3)
        x, calls = _x(lib), []

        def fn(t: Any) -> Any:
            calls.append(1)
            return lib.nn.functional.dropout(t.exp().sin(), 0.3, training=True)

        y = lib.utils.checkpoint.checkpoint(fn, x, use_reentrant=reentrant, preserve_rng_state=preserve)
        y.sum().backward()
        return y.detach().numpy(), x.grad.numpy(), len(calls), type(y.grad_fn).__name__, lib.rand(4).numpy()

    (t, tw), (e, ew) = _both(program)
    assert tw == ew
    for a, b in zip(e, t, strict=True):
        if isinstance(a, np.ndarray):
            assert_close(a, b, "checkpoint")
        else:
            assert a == b


def test_checkpoint_errors_and_warnings_match_torch() -> None:
    def program(lib: Any) -> Any:
        ck = lib.utils.checkpoint
        x = _x(lib, (3,))
        results = []
        for case in (
            lambda: ck.checkpoint(lambda t: t.sin(), x),
            lambda: ck.checkpoint(lambda t: t.sin(), x.detach(), use_reentrant=True).requires_grad,
            lambda: lib.autograd.grad(ck.checkpoint(lambda t: t.sin(), x, use_reentrant=True).sum(), x),
            lambda: ck.checkpoint(lambda t: t.sin(), x, use_reentrant=True).sum().backward(inputs=[x]),
            lambda: ck.checkpoint(lambda t: t.detach(), x, use_reentrant=True).sum().backward(),
            lambda: ck.checkpoint(lambda t: t, x, use_reentrant=True, context_fn=1),
        ):
            try:
                r = case()
                results.append(r if isinstance(r, bool) else "ok")
            except Exception as e:  # noqa: BLE001
                results.append((type(e).__name__, str(e)))
        z = x * 1
        y = ck.checkpoint(lambda t: t.exp(), z, use_reentrant=False)
        z.mul_(2)
        try:
            y.sum().backward()
        except RuntimeError as e:
            results.append(str(e))
        return results

    assert _both(program)[0] == _both(program)[1]


# What torch 2.14 changed in checkpoint, recorded from torch 2.13.0 and 2.14.1: the reentrant mode's refusal
# names the new keyword respect_saved_tensors_hooks (accepted, and without selective checkpointing of no effect,
# by the non-reentrant mode; torch 2.13 hands it on as an unknown keyword), and checkpoint(**config) without a
# function is a decorator (torch 2.13: TypeError), for functions and methods alike
_REENTRANT_ONLY_213 = "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
_REENTRANT_ONLY_214 = (
    "Passing `context_fn`, `debug`, or `respect_saved_tensors_hooks` is only supported when use_reentrant=False."
)
_NO_FUNCTION = ("TypeError", "checkpoint() missing 1 required positional argument: 'function'")
CHECKPOINT_BY_RELEASE: dict[str, dict[str, Any]] = {
    "2.13": {
        "context_fn": ("ValueError", _REENTRANT_ONLY_213),
        "debug": ("ValueError", _REENTRANT_ONLY_213),
        "hooks_reentrant": ("ValueError", "Unexpected keyword arguments: respect_saved_tensors_hooks"),
        "hooks_non_reentrant": (
            "TypeError",
            "fn() got an unexpected keyword argument 'respect_saved_tensors_hooks'",
        ),
        "decorator": _NO_FUNCTION,
        "decorator_unknown_keyword": _NO_FUNCTION,
        "method": _NO_FUNCTION,
    },
    "2.14": {
        "context_fn": ("ValueError", _REENTRANT_ONLY_214),
        "debug": ("ValueError", _REENTRANT_ONLY_214),
        "hooks_reentrant": ("ValueError", _REENTRANT_ONLY_214),
        "hooks_non_reentrant": "ok",
        "decorator": ([0.877582561890373, 0.968912421710645, 0.5403023058681398], "SinBackward0", "fn"),
        "decorator_unknown_keyword": ("ValueError", "Unexpected keyword arguments: foo"),
        "method": [1.5, -0.75, 3.0],
    },
}


def _checkpoint_outcomes(lib: Any) -> dict[str, Any]:
    ck = lib.utils.checkpoint
    x = lib.tensor([0.5, -0.25, 1.0], dtype=lib.float64, requires_grad=True)

    def fn(t: Any) -> Any:
        return t.sin()

    def decorator() -> Any:
        wrapped = ck.checkpoint(use_reentrant=False)(fn)
        y = wrapped(x)
        y.sum().backward()
        return x.grad.tolist(), type(y.grad_fn).__name__, wrapped.__name__

    def method() -> Any:
        class Scaled:
            k = 3.0

            @ck.checkpoint(use_reentrant=True)
            def go(self, t: Any) -> Any:
                return t * self.k

        return Scaled().go(x).tolist()

    cases: dict[str, Callable[[], Any]] = {
        "context_fn": lambda: ck.checkpoint(fn, x, use_reentrant=True, context_fn=1),
        "debug": lambda: ck.checkpoint(fn, x, use_reentrant=True, debug=True),
        "hooks_reentrant": lambda: ck.checkpoint(fn, x, use_reentrant=True, respect_saved_tensors_hooks=True),
        "hooks_non_reentrant": lambda: ck.checkpoint(fn, x, use_reentrant=False, respect_saved_tensors_hooks=True),
        "decorator": decorator,
        "decorator_unknown_keyword": lambda: ck.checkpoint(use_reentrant=False, foo=1),
        "method": method,
    }
    out: dict[str, Any] = {}
    for key, case in cases.items():
        try:
            r = case()
            out[key] = r if isinstance(r, (list, tuple)) else "ok"
        except Exception as e:  # noqa: BLE001
            out[key] = (type(e).__name__, str(e).replace("_checkpoint_outcomes.<locals>.", ""))
    return out


def _assert_checkpoint_outcomes(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got.keys() == want.keys()
    for key, value in want.items():
        if key == "decorator" and isinstance(value[0], list):
            assert_close(np.array(got[key][0]), np.array(value[0]), "checkpoint decorator grad")
            assert got[key][1:] == value[1:]
        else:
            assert got[key] == value, key


def test_checkpoint_changes_per_release(release: str) -> None:
    _assert_checkpoint_outcomes(_checkpoint_outcomes(engine), CHECKPOINT_BY_RELEASE[release])
    if release == torch_release():
        _assert_checkpoint_outcomes(_checkpoint_outcomes(torch), CHECKPOINT_BY_RELEASE[release])


def test_gradcheck_names_match_torch() -> None:
    mod = sys.modules["reference_engine.autograd.gradcheck"]
    assert callable(engine.autograd.gradcheck) and callable(engine.autograd.gradgradcheck)
    assert mod.GradcheckError.__mro__[1] is RuntimeError
    assert sys.modules["torch.autograd.gradcheck"].GradcheckError.__mro__[1] is RuntimeError
    assert set(mod.__all__) <= set(sys.modules["torch.autograd.gradcheck"].__all__)


def _bad(lib: Any) -> Any:
    class BadSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return g * x

    return BadSquare


@pytest.mark.parametrize(
    "case",
    [
        lambda lib: lib.autograd.gradcheck(lib.sin, (_x(lib),)),
        lambda lib: lib.autograd.gradcheck(lambda a, b: (a * b).exp().sum(1), (_x(lib), _x(lib) * 1)),
        lambda lib: lib.autograd.gradcheck(_bad(lib).apply, (_x(lib, (3,)),)),
        lambda lib: lib.autograd.gradcheck(_bad(lib).apply, (_x(lib, (3,)),), raise_exception=False),
        lambda lib: lib.autograd.gradcheck(lambda t: t * 3, (_x(lib, (3,), "float32"),), atol=0, rtol=0),
        lambda lib: lib.autograd.gradcheck(lib.sin, (_x(lib).detach(),)),
        lambda lib: lib.autograd.gradcheck(lambda t: t.detach() * 2, (_x(lib),)),
        lambda lib: lib.autograd.gradgradcheck(lambda t: (t**3).sum(0), (_x(lib),)),
        lambda lib: lib.autograd.gradgradcheck(_bad(lib).apply, (_x(lib, (3,)),)),
    ],
    ids=["sin", "two", "bad", "bad-noraise", "float32", "none", "nodiff", "gradgrad", "gradgrad-bad"],
)
def test_gradcheck_matches_torch(case: Callable[[Any], Any]) -> None:
    def program(lib: Any) -> Any:
        lib.manual_seed(0)
        return case(lib)

    (t, tw), (e, ew) = _both(program)
    assert tw == ew
    assert e == t  # errors: same type and whole message, the Jacobians printed alike
