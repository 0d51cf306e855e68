"""Grad mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

The flag is thread-local, as in torch: a ``no_grad`` block in one thread does
not switch recording off in another.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState(threading.local):
    enabled = True  # class attributes: the defaults every new thread sees
    inference = False


_state = _GradState()

# Called with the new inference flag whenever it changes. The package face (``_tensor_surface``, which may
# change ``Tensor``) installs it: it marks tensors made while the flag is on as inference tensors, so
# tensor creation costs nothing extra outside inference mode. None until then (and in a bare import).
_on_inference_change: Callable[[bool], None] | None = None


INFERENCE_INPLACE_MSG = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a normal "
    "tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details."
)


class InferenceVersion(list):
    """The version counter of an inference tensor (and of its views, which share it).

    torch's inference tensors have no version counter: bumping it, which every in-place write does after
    writing (``t._vc[0] += 1``), raises outside inference mode. The data is changed by then, as in torch.
    Normal tensors keep a plain list, so their writes pay nothing for this.
    """

    __slots__ = ()

    def __setitem__(self, index: Any, value: Any) -> None:
        if not _state.inference:
            raise RuntimeError(INFERENCE_INPLACE_MSG)
        list.__setitem__(self, index, value)


def is_grad_enabled() -> bool:
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode(True)`` block is active in this thread."""
    return _state.inference


def _set_inference(mode: bool) -> None:
    _state.inference = mode
    if _on_inference_change is not None:
        _on_inference_change(mode)


def _set_enabled(mode: bool) -> None:
    _state.enabled = bool(mode)


class _GradModeContext:
    """Base for the context managers; also usable as (bare or called) decorators."""

    _mode: bool

    def __new__(cls, orig_func: Callable | None = None, *args: Any, **kwargs: Any) -> Any:
        if cls is not set_grad_enabled and callable(orig_func) and not args and not kwargs:
            # bare decorator form: @torch.no_grad
            return cls()(orig_func)
        return super().__new__(cls)

    def __init__(self) -> None:
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(_state.enabled)
        _state.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev.pop()

    def clone(self) -> _GradModeContext:
        return self.__class__()

    def __call__(self, func: F) -> F:
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
                # The mode applies while the generator body runs, not while its caller holds a value.
                gen = func(*args, **kwargs)
                try:
                    with self.clone():
                        value = gen.send(None)
                    while True:
                        try:
                            request = yield value
                        except GeneratorExit:
                            with self.clone():
                                gen.close()
                            raise
                        except BaseException as exc:  # noqa: BLE001 - forwarded into the generator
                            with self.clone():
                                value = gen.throw(exc)
                        else:
                            with self.clone():
                                value = gen.send(request)
                except StopIteration as stop:
                    return stop.value

            return gen_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):  # noqa: N801
    """Disable gradient recording inside the block or decorated function."""

    _mode = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Enable gradient recording inside the block or decorated function."""

    _mode = True


class inference_mode(_GradModeContext):  # noqa: N801
    """Inference mode: grad off, and tensors made inside are inference tensors (``Tensor.is_inference()``).

    As torch's InferenceMode guard, ``inference_mode(False)`` switches grad mode on (even inside
    ``no_grad``) and inference mode off; leaving the block restores both.
    """

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):
            return cls()(mode)  # bare decorator: @torch.inference_mode
        return object.__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self.mode = bool(mode)
        self._mode = not self.mode
        self._prev_inference: list[bool] = []

    def __enter__(self) -> None:
        super().__enter__()
        self._prev_inference.append(_state.inference)
        if _state.inference is not self.mode:
            _set_inference(self.mode)

    def __exit__(self, *exc: object) -> None:
        prev = self._prev_inference.pop()
        if _state.inference is not prev:
            _set_inference(prev)
        super().__exit__(*exc)

    def clone(self) -> inference_mode:
        return self.__class__(self.mode)


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Set grad mode now (usable as a plain call) and restore it on leaving a ``with`` block."""

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._mode = bool(mode)
        self._prev = [_state.enabled]
        _state.enabled = self._mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev.pop() if self._prev else True

    def clone(self) -> set_grad_enabled:
        return self.__class__(self._mode)  # sets the mode now; __exit__ restores

    def __call__(self, func: F) -> F:
        # as a decorator, the constructor's immediate switch must not leak
        _state.enabled = self._prev[0]
        return super().__call__(func)


class _AnomalyFlags:
    # torch.set_anomaly_enabled's process-wide switches. They live here, below the graph, because the graph's
    # messages depend on them too; autograd/anomaly_mode.py sets them, the engine reads them once per backward.
    enabled = False
    check_nan = True


anomaly = _AnomalyFlags()


class _ForwardLevel:
    # The live forward-AD level (torch.autograd.forward_ad): ``token`` identifies it while it is entered, so a
    # tangent stored on a tensor counts only at the level it was made in and is gone once the level exits.
    # It lives here, below tensor.py, because printing and Tensor read it; autograd/forward_ad.py sets it.
    token: object | None = None
    # set by forward_ad while a level is entered: gives a node's grads the tangents its array kernels drop
    node_tangents: Any = None
    # and runs a custom autograd.Function's apply, giving its outputs the tangents of its jvp
    function_apply: Any = None


forward_level = _ForwardLevel()


class _Functorch:
    # How many torch.func transforms are running their function now (torch.func sets it); autograd.Function
    # refuses to run inside one unless it has torch's functorch-compatible form (a setup_context).
    depth = 0


functorch = _Functorch()
