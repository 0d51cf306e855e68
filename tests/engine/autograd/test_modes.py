"""Anomaly mode and inference mode against real torch: flags, errors, warnings, and what stays cheap."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import pytest
import torch

import reference_engine as engine
from reference_engine.autograd import anomaly_mode
from reference_engine.autograd.graph import Node
from reference_engine.tensor import Tensor
from tests.helpers import raised_error


@pytest.fixture(autouse=True)
def _restore_modes() -> Any:
    yield
    for lib in (torch, engine):
        lib.set_anomaly_enabled(False)


def warned(fn: Any) -> tuple[tuple[str, str] | None, list[tuple[str, str]]]:
    """(error type, message) raised by ``fn`` (or None) and (category, first line) of each warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn()
            err = None
        except RuntimeError as e:
            err = (type(e).__name__, str(e))
    lines = [(w.category.__name__, str(w.message).splitlines()[0].split(" (Triggered internally")[0]) for w in caught]
    return err, lines


def nan_in_backward(lib: Any) -> Any:
    x = lib.tensor([0.0, 1.0], requires_grad=True)

    def run() -> None:
        with lib.autograd.detect_anomaly():
            (x / x).sum().backward()

    return warned(run)


def test_nan_error_and_warnings_match_torch() -> None:
    got, want = nan_in_backward(engine), nan_in_backward(torch)
    assert got == want
    assert want[0] == ("RuntimeError", "Function 'DivBackward0' returned nan values in its 1th output.")


def test_forward_traceback_ends_at_the_user_line() -> None:
    x = engine.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with engine.autograd.set_detect_anomaly(True), pytest.raises(RuntimeError):
            y = x / x  # the line the warning must quote
            y.sum().backward()
    text = str(caught[-1].message)
    assert text.startswith("Error detected in DivBackward0. Traceback of forward call that caused the error:\n")
    assert text.rstrip().endswith("y = x / x  # the line the warning must quote")
    assert "reference_engine" not in text  # engine frames are left out, as torch's C++ frames are


def test_set_anomaly_enabled_type_error_matches_torch() -> None:
    assert raised_error(lambda: engine.set_anomaly_enabled(1)) == raised_error(lambda: torch.set_anomaly_enabled(1))


def test_node_init_is_swapped_only_while_anomaly_mode_is_on() -> None:
    plain = Node.__init__
    engine.set_anomaly_enabled(True)
    assert Node.__init__ is not plain
    node = (engine.ones(2, requires_grad=True) * 2).grad_fn
    assert "_anomaly_stack" in node.__dict__
    engine.set_anomaly_enabled(False)
    assert Node.__init__ is plain
    assert "_anomaly_stack" not in (engine.ones(2, requires_grad=True) * 2).grad_fn.__dict__
    assert anomaly_mode.is_anomaly_check_nan_enabled()


def inference_program(lib: Any) -> list[Any]:
    out: list[Any] = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.inference_mode():
        a = x * 2
        v = x.view(2)
        out += [lib.is_inference_mode_enabled(), lib.is_grad_enabled(), a.is_inference(), a.requires_grad]
        out += [v.is_inference()]
    out += [lib.is_inference_mode_enabled(), a.view(2).is_inference(), a.detach().is_inference()]
    out += [a.clone().is_inference(), (x + a).requires_grad]
    for fn in (lambda: x * a, lambda: a.add_(1), lambda: a.requires_grad_()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fn()
                out.append(None)
            except RuntimeError as e:
                out.append(str(e))
    out.append(a.tolist())  # the in-place add wrote before refusing the version bump
    return out


def test_inference_mode_matches_torch() -> None:
    assert inference_program(engine) == inference_program(torch)


def test_inference_mode_is_per_thread_flag() -> None:
    seen: list[bool] = []
    with engine.inference_mode():
        t = threading.Thread(target=lambda: seen.append(engine.is_inference_mode_enabled()))
        t.start()
        t.join()
    assert seen == [False]


def test_make_is_swapped_only_inside_inference_mode() -> None:
    plain = Tensor.__dict__["_make"]
    with engine.inference_mode():
        assert Tensor.__dict__["_make"] is not plain
        with engine.inference_mode(False):
            assert not engine.ones(1).is_inference()
    assert Tensor.__dict__["_make"].__func__ is plain.__func__
    assert type(engine.ones(1)._vc) is list  # normal tensors keep a plain version counter


@pytest.mark.parametrize("mode", ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode"])
def test_generator_decorators_match_torch(mode: str) -> None:
    def prog(lib: Any) -> list[Any]:
        ctx = getattr(lib, mode)(False) if mode == "set_grad_enabled" else getattr(lib, mode)()

        @ctx
        def gen() -> Any:
            sent = yield (lib.is_grad_enabled(), lib.is_inference_mode_enabled())
            yield (sent, lib.is_grad_enabled())

        g = gen()
        first = next(g)
        between = lib.is_grad_enabled()
        return [first, between, g.send("x"), lib.is_grad_enabled()]

    with engine.no_grad(), torch.no_grad():
        assert prog(engine) == prog(torch)
    assert prog(engine) == prog(torch)
