"""``torch.autograd.Function``: user-defined ops with their own backward.

The ``ctx`` passed to ``forward`` is the graph node itself (an instance of
``<Name>Backward``), as in torch, so ``y.grad_fn`` is ``ctx``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._creation import zeros
from .._dtype import _FROM_NUMPY
from ..tensor import Tensor
from . import grad_mode
from .graph import FREED_MSG, Node, make_saved

FUNCTORCH_NEEDS_SETUP_CONTEXT = (
    "In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, jacrev, ...), it must "
    "override the setup_context staticmethod. For more details, please see "
    "https://pytorch.org/docs/main/notes/extending.func.html"
)


class FunctionCtx:
    """The context API shared by every ``<Name>Backward`` node."""

    def save_for_backward(self, *tensors: Any) -> None:
        self._to_save = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        self._saved_for_forward = tensors

    def mark_dirty(self, *tensors: Any) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self._non_diff = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = value

    @property
    def saved_tensors(self) -> tuple:
        jvp_saved = self.__dict__.get("_jvp_saved")
        if jvp_saved is not None:  # inside jvp: what save_for_forward kept (forward AD)
            return jvp_saved
        if self._released:
            raise RuntimeError(FREED_MSG)
        return tuple(None if s is None else s.unpack(self) for s in self._saved_list)  # type: ignore[attr-defined]

    saved_variables = saved_tensors


class BackwardCFunction(Node, FunctionCtx):
    """A node whose backward is the user's ``Function.backward``."""

    _forward_cls: type

    def __init__(self) -> None:
        Node.__init__(self)
        self._to_save: tuple = ()
        self._saved_list: list = []
        self._dirty: tuple = ()
        self._non_diff: tuple = ()
        self._materialize = True
        self._tensor_positions: list[int] = []
        self.needs_input_grad: tuple[bool, ...] = ()

    def _release(self) -> None:
        if self._saved_list:
            self._saved_list = []
            self._released = True

    def apply(self, *grads: Any) -> tuple:
        if self._materialize:
            grads = tuple(
                zeros(m[0], dtype=_FROM_NUMPY[m[1]], device=m[2]) if g is None else g
                for g, m in zip(grads, self._out_meta, strict=False)
            )
        result = self._forward_cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self.needs_input_grad)
        if len(result) != n_args:
            if len(result) > n_args and all(r is None for r in result[n_args:]):
                result = result[:n_args]
            else:
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients (expected {n_args}, "
                    f"got {len(result)})"
                )
        for i, r in enumerate(result):
            if r is not None and i not in self._tensor_positions:
                raise RuntimeError(
                    f"function {self.name()} returned a gradient different than None at position {i + 1}, but "
                    "the corresponding forward input was not a Variable"
                )
        return tuple(result[i] for i in self._tensor_positions)


class FunctionMeta(type):
    """Creates ``<Name>Backward`` once per Function subclass, like torch."""

    def __init__(cls, name: str, bases: tuple, attrs: dict) -> None:
        backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        cls._backward_cls = backward_cls
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Subclass and define ``forward(ctx, ...)`` and ``backward(ctx, *grads)`` as static methods."""

    _backward_cls: type

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function to use it "
            "with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with forward mode AD."
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        fw = grad_mode.forward_level
        if fw.token is not None:  # inside a forward AD level: forward_ad gives the outputs their tangents
            return fw.function_apply(cls, args, kwargs)
        return cls._apply(args, kwargs)[0]

    @classmethod
    def _apply(cls, args: tuple, kwargs: dict) -> tuple[Any, Any]:
        """The output and the node (ctx) of one call."""
        ctx = cls._backward_cls()
        tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx._tensor_positions = tensor_positions
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = grad_mode.is_grad_enabled() and any(ctx.needs_input_grad)
        custom_setup = cls.setup_context is not Function.setup_context
        if grad_mode.functorch.depth and not custom_setup:
            raise RuntimeError(FUNCTORCH_NEEDS_SETUP_CONTEXT)
        with grad_mode.no_grad():
            if custom_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(output, tuple)
        outputs = (output,) if single else output
        for t in ctx._dirty:
            t._vc[0] += 1  # torch bumps each dirty tensor's version once more, recording or not
        if not record:
            return output, ctx
        ctx.next_functions = tuple(args[i]._edge() if args[i].requires_grad else (None, 0) for i in tensor_positions)
        non_diff = {id(t) for t in ctx._non_diff}
        dirty = {id(t) for t in ctx._dirty}
        input_ids = {id(args[i]) for i in tensor_positions}
        wrapped = []
        meta = []
        for out in outputs:
            nr = len(meta)
            if not isinstance(out, Tensor):
                wrapped.append(out)
                continue
            if id(out) in dirty:
                target = out  # modified in place: the input itself now comes from this node
                if target._grad_fn is None and target._requires_grad:
                    raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            elif id(out) in input_ids:
                target = out._alias()  # an input returned as is becomes a new output of this node
            else:
                target = out
            meta.append((out._data.shape, out._data.dtype, out.device))
            if id(out) in non_diff or not out.is_floating_point():
                target._grad_fn, target._requires_grad = None, False
            else:
                target._grad_fn, target._output_nr = ctx, nr
            wrapped.append(target)
        ctx._out_meta = meta
        outs_by_id = {id(t): t for t in wrapped if isinstance(t, Tensor)}
        ctx._saved_list = [
            None if t is None else make_saved(outs_by_id.get(id(t), t), is_output=id(t) in outs_by_id)
            for t in ctx._to_save
        ]
        ctx._to_save = ()
        return (wrapped[0] if single else tuple(wrapped)), ctx


def once_differentiable(fn: Callable) -> Callable:
    """Run a custom backward without recording it (no double backward through it)."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with grad_mode.no_grad():
            return fn(ctx, *args)

    return wrapper
