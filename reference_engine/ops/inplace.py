"""In-place ops: writing into a tensor's storage, the version counter, and history rebasing.

An in-place op is computed out of place by the ordinary op (which records its
node as usual), then written into ``self``'s storage. The version counter
shared by ``self`` and its views goes up by one, so a saved tensor that is
read later notices the change. Autograd history is moved onto ``self``; when
``self`` is a view, its base gets a ``CopySlices`` node, as in torch.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from .. import _dtype as D
from ..autograd import grad_mode
from ..autograd.engine import sum_to_shape
from ..autograd.graph import AsStridedBackward0, Node, SavedTensor
from ..tensor import LEAF_INPLACE_MSG, Tensor, grad_recording
from ._util import needs, record

VIEW_OF_LEAF_MSG = "a view of a leaf Variable that requires grad is being used in an in-place operation."
# Raised for views marked ``_view_created_in_no_grad`` (set by the view op when it runs under no_grad on a
# base that requires grad) that are then modified in place with grad mode on.
NO_GRAD_VIEW_MSG = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this "
    "use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view "
    "and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both "
    "outside (if you want the inplace to be tracked)."
)
_SCALAR_NAMES = {
    "float16": "Half", "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
    "complex128": "ComplexDouble", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
    "int64": "Long", "bool": "Bool", "uint64": "UInt64",
}  # fmt: skip


def scalar_type_name(d: D.dtype) -> str:
    return _SCALAR_NAMES[d.name]


def _can_cast(src: D.dtype, dst: D.dtype) -> bool:
    # c10::canCast: no float -> integral, no complex -> non-complex, no non-bool -> bool
    if src.is_complex and not dst.is_complex:
        return False
    if src.is_floating_point and dst.category < 2:
        return False
    return not (src is not D.bool_ and dst is D.bool_)


def check_inplace(self: Tensor, *others: Any) -> None:
    """Raise torch's error before an in-place op on a leaf (or a view of one) that requires grad."""
    if not grad_mode._state.enabled:
        return
    if self._grad_fn is None and self._requires_grad:
        if self._base is not None:
            raise RuntimeError(VIEW_OF_LEAF_MSG)
        raise RuntimeError(LEAF_INPLACE_MSG)
    base = self._base
    if base is not None and self.__dict__.get("_view_created_in_no_grad"):
        raise RuntimeError(NO_GRAD_VIEW_MSG)
    # torch asks the view (it may still require grad through its own history after the leaf was frozen)
    if base is not None and base._grad_fn is None and self.requires_grad:
        raise RuntimeError(VIEW_OF_LEAF_MSG)


def commit(self: Tensor, result: Tensor) -> Tensor:
    """Write ``result`` (the out-of-place value of the op) into ``self`` and rebase history."""
    shape = self._data.shape
    if result._data.shape != shape:
        rs = result._data.shape
        if len(rs) > len(shape) or any(r not in (1, s) for r, s in zip(rs[::-1], shape[::-1], strict=False)):
            raise RuntimeError(
                f"output with shape [{', '.join(map(str, shape))}] doesn't match the broadcast shape "
                f"[{', '.join(map(str, _broadcast(rs, shape)))}]"
            )
    src, dst = result.dtype, self.dtype
    if src is not dst and not _can_cast(src, dst):
        raise RuntimeError(
            f"result type {scalar_type_name(src)} can't be cast to the desired output type {scalar_type_name(dst)}"
        )
    node = result._grad_fn
    if node is not None:
        _detach_saved_self(node, self)
    self._data[...] = result._data
    self._vc[0] += 1
    if node is None:
        return self
    if node._saved:
        for s in node._saved.values():
            if s is not None and s.is_output:  # the output now lives in self's storage, at the new version
                s.tensor, s.version = self._alias(), self._vc[0]
    if self._base is None:
        _rebase(self, node)
    else:
        _rebase_view(self, node)
    return self


def _broadcast(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return tuple(max(x, y) for x, y in zip(a, b, strict=True))


def _detach_saved_self(node: Node, self: Tensor) -> None:
    # The formula may read the original self (mul_ saves it for other's grad): keep a copy,
    # as torch's in-place codegen keeps ``original_self``.
    # Only the formula's own "self" is replaced: another argument that happens to be the same tensor
    # (x.mul_(x)) stays saved at its old version, so backward raises the version error as torch does.
    if node._saved:
        for name, s in list(node._saved.items()):
            if name == "self" and s is not None and not s.is_output and s.tensor is self:
                orig = Tensor._make(self._data.copy())
                orig._grad_fn, orig._output_nr = self._grad_fn, self._output_nr
                node._saved[name] = SavedTensor(orig, is_output=False)


def _rebase(self: Tensor, node: Node) -> None:
    old, old_nr = self._grad_fn, self._output_nr
    self._grad_fn, self._output_nr = node, 0
    self._requires_grad = False
    node._out_meta = ((self._data.shape, self._data.dtype, self.device),)
    if self._retains_grad:
        self._install_retain_hook(old, old_nr)


class CopySlices(Node):
    """The base's node after an in-place op on one of its views.

    grad for the base: the incoming grad with the view's region replaced by
    what the in-place op's backward gives for its ``self``; the op's other
    inputs get their grads directly.
    """

    def __init__(self, base: Tensor, view_fn: Callable[[Tensor], Tensor], fn: Node) -> None:
        super().__init__()
        self.view_fn, self.fn = view_fn, fn
        base_edge = base._edge() if base.requires_grad else (None, 0)
        self.next_functions = (base_edge, *fn.next_functions[1:])
        self._out_meta = ((base._data.shape, base._data.dtype, base.device),)

    def name(self) -> str:
        return "torch::autograd::CopySlices"

    def apply(self, grad: Tensor) -> tuple:
        result = grad.clone()
        grad_slice = self.view_fn(result)
        res = self.fn.apply(grad_slice.clone())
        with grad_mode.no_grad():
            if res[0] is None:
                grad_slice._data[...] = 0
            else:
                grad_slice._data[...] = _sum_to(res[0], grad_slice)._data
        return (result, *res[1:])

    def _release(self) -> None:
        self.fn._release()


def _sum_to(g: Tensor, like: Tensor) -> Tensor:
    return sum_to_shape(g, like._data.shape) if g._data.shape != like._data.shape else g


def _rebase_view(self: Tensor, node: Node) -> None:
    base = self._base
    view_fn = self._view_fn
    if view_fn is None:  # a view whose replay is unknown (detach): treat as its own storage
        _rebase(self, node)
        return
    cs = CopySlices(base, view_fn, node)
    old, old_nr = base._grad_fn, base._output_nr
    base._grad_fn, base._output_nr, base._requires_grad = cs, 0, False
    if base._retains_grad:
        base._install_retain_hook(old, old_nr)
    view_node = AsStridedBackward0(base, view_fn)
    view_node.next_functions = ((cs, 0),)
    view_node._out_meta = ((self._data.shape, self._data.dtype, self.device),)
    old, old_nr = self._grad_fn, self._output_nr
    self._grad_fn, self._output_nr, self._requires_grad = view_node, 0, False
    self._view_version = self._vc[0]
    if self._retains_grad:
        self._install_retain_hook(old, old_nr)


def inplace_method(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Make ``x.op_(...)`` from the out-of-place ``op``."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        check_inplace(self, *args)
        return commit(self, op(self, *args, **kwargs))

    method.__name__ = method.__qualname__ = op.__name__ + "_"
    return method


# --------------------------------------------------------------------------- zero_, fill_, copy_
class ZeroBackward0(Node):
    # zero_: self: zeros_like(grad)
    def apply(self, grad: Tensor) -> tuple:
        return (grad * 0,)


class FillBackward2(Node):
    # fill_.Scalar: self: zeros_like(grad)
    def apply(self, grad: Tensor) -> tuple:
        return (grad * 0,)


class FillBackward3(Node):
    # fill_.Tensor: self: zeros_like(grad) ; value: grad.sum()
    def apply(self, grad: Tensor) -> tuple:
        return grad * 0, grad.sum() if needs(self, 1) else None


class CopyBackwards(Node):
    # copy_: self: zeros_like(grad) ; src: grad (summed to src's shape, cast to its dtype by the engine)
    def name(self) -> str:
        return "torch::autograd::CopyBackwards"  # a hand-written node in torch: name() has its namespace

    def apply(self, grad: Tensor) -> tuple:
        return (grad * 0 if needs(self, 0) else None), grad


def _filled_like(self: Tensor, value: Any) -> Any:
    xp = self._xp
    value = D.real_fill(value, D._FROM_NUMPY[self._data.dtype])
    return xp.full(self._data.shape, value, dtype=self._data.dtype)


def zero_(self: Tensor) -> Tensor:
    check_inplace(self)
    result = Tensor._make(_filled_like(self, 0))
    if grad_recording(self):
        record(ZeroBackward0(), result, self)
    return commit(self, result)


def fill_(self: Tensor, value: Any) -> Tensor:
    check_inplace(self)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions."
            )
        result = Tensor._make(_filled_like(self, value.item()))
        if grad_recording(self, value):
            record(FillBackward3(), result, self, value)
        return commit(self, result)
    result = Tensor._make(_filled_like(self, value))
    if grad_recording(self):
        record(FillBackward2(), result, self)
    return commit(self, result)


class FillBackward0(Node):
    # fill.Scalar: self: zeros_like(grad)
    def apply(self, grad: Tensor) -> tuple:
        return (grad * 0,)


class FillBackward1(Node):
    # fill.Tensor: self: zeros_like(grad) ; value: grad.sum()
    def apply(self, grad: Tensor) -> tuple:
        return grad * 0, grad.sum() if needs(self, 1) else None


def fill(input: Tensor, value: Any) -> Tensor:
    """torch.fill: a new tensor shaped like ``input`` holding ``value`` (fill_ out of place)."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions."
            )
        result = Tensor._make(_filled_like(input, value.item()))
        if grad_recording(input, value):
            record(FillBackward1(), result, input, value)
        return result
    result = Tensor._make(_filled_like(input, value))
    if grad_recording(input):
        record(FillBackward0(), result, input)
    return result


COMPLEX_TO_REAL_WARNING = "Casting complex values to real discards the imaginary part"
_complex_to_real_warned = [False]


def warn_complex_to_real() -> None:
    """torch's warning for a complex-to-real copy (or cast), given once per process (TORCH_WARN_ONCE)."""
    if not _complex_to_real_warned[0]:
        _complex_to_real_warned[0] = True
        warnings.warn(COMPLEX_TO_REAL_WARNING, UserWarning, stacklevel=3)


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, cast to self's dtype, moved to self's device) into ``self``."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}")
    check_inplace(self)
    xp = self._xp
    data = src._data
    if type(data) is not type(self._data):
        data = xp.asarray(data.get() if hasattr(data, "get") else data)
    shape = self._data.shape
    if data.dtype.kind == "c" and self._data.dtype.kind != "c":
        warn_complex_to_real()
        data = data.real  # torch's copy keeps the real parts
    try:
        arr = xp.broadcast_to(data, shape).astype(self._data.dtype)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({shape[-1] if shape else 1}) must match the size of tensor b "
            f"({data.shape[-1] if data.ndim else 1}) at non-singleton dimension {max(len(shape) - 1, 0)}"
        ) from None
    result = Tensor._make(arr)
    if grad_recording(self, src):
        record(CopyBackwards(), result, self, src)
    # copy_ casts freely (float into int included), so skip commit's cast check
    node = result._grad_fn
    self._data[...] = arr
    self._vc[0] += 1
    if node is not None:
        if self._base is None:
            _rebase(self, node)
        else:
            _rebase_view(self, node)
    return self


# --------------------------------------------------------------------------- out= arguments
OUT_AUTOGRAD_MSG = (
    "{}(): functions with out=... arguments don't support automatic differentiation, but one of the arguments "
    "requires grad."
)
OUT_RESIZED_MSG = (
    "An output with one or more elements was resized since it had shape {}, which does not match the required "
    "output shape {}. This behavior is deprecated, and in a future PyTorch release outputs will not be resized "
    "unless they have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
    "elements with t.resize_(0)."
)


def _requires_grad(values: Any) -> bool:
    for v in values:
        if isinstance(v, Tensor):
            if v.requires_grad:
                return True
        elif isinstance(v, list | tuple) and _requires_grad(v):
            return True
    return False


# out= variants that check out's dtype against the input's (amax/amin's result has the input's dtype) before
# torch's general casting rule
_SAME_DTYPE_OUT = frozenset(("amax", "amin"))
# gather words the same check its own way, in c10's C type names
_GATHER_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
                      "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
                      "bool": "bool"}  # fmt: skip
# out= variants whose kernels refuse an out that shares memory with an input (at::assert_no_overlap)
_NO_OVERLAP_OUT = frozenset(("cat", "gather", "kthvalue", "masked_select", "take"))
_OVERLAP_AFTER_RESIZE = frozenset(("cat", "gather"))  # these resize out (with its warning) before they check
OVERLAP_MSG = (
    "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory "
    "location. Please clone() the tensor before performing the operation."
)


def _root(t: Tensor) -> Tensor:
    return t._base if t._base is not None else t


def _overlaps(out: Tensor, values: Any) -> bool:
    for v in values:
        if isinstance(v, Tensor):
            if _root(v) is _root(out) or v._xp.shares_memory(v._data, out._data):
                return True
        elif isinstance(v, list | tuple) and _overlaps(out, v):
            return True
    return False


def _check_out_dtype(name: str, result: Tensor, out: Tensor) -> None:
    """The ops whose ``out`` must have the result's dtype (no cast), each with its own wording."""
    if name == "gather":
        names = _GATHER_TYPE_NAMES
        raise RuntimeError(
            f"Expected out tensor to have dtype {names.get(result.dtype.name, result.dtype.name)}, but got "
            f"{names.get(out.dtype.name, out.dtype.name)} instead"
        )
    if name == "hash_tensor":  # its result is always uint64, and its out= is held to that
        raise RuntimeError(f"Expected result to be of dtype uint64, but got {scalar_type_name(out.dtype)}")
    if name in _SAME_DTYPE_OUT:
        raise RuntimeError(
            f"Expected the dtype for input and out to match, but got {scalar_type_name(result.dtype)} for "
            f"input's dtype and {scalar_type_name(out.dtype)} for out's dtype."
        )


def call_with_out(func: Callable[..., Any], name: str, args: tuple, kwargs: dict[str, Any], out: Any) -> Any:
    """``func(*args, **kwargs)`` written into ``out`` as torch's out= variants do: refused while autograd would
    record (any argument or ``out`` requires grad), the result cast to ``out``'s dtype where torch's casting
    rule allows, ``out`` resized to the result's shape (with torch's deprecation warning when it had elements),
    and ``out`` itself returned (a tuple of them, as the op's tuple type, for ops with several outputs)."""
    outs = out if isinstance(out, tuple | list) else (out,)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(o).__name__}")
    if grad_mode._state.enabled and (_requires_grad(args) or _requires_grad(kwargs.values()) or _requires_grad(outs)):
        raise RuntimeError(OUT_AUTOGRAD_MSG.format(name))
    inputs = (*args, *kwargs.values())
    overlap_check = name in _NO_OVERLAP_OUT
    if overlap_check and name not in _OVERLAP_AFTER_RESIZE and any(_overlaps(o, inputs) for o in outs):
        raise RuntimeError(OVERLAP_MSG)
    result = func(*args, **kwargs)
    if overlap_check and name in _OVERLAP_AFTER_RESIZE and isinstance(out, Tensor) and _overlaps(out, inputs):
        if out._data.shape != result._data.shape and out._data.size:
            warnings.warn(OUT_RESIZED_MSG.format(list(out.shape), list(result.shape)), UserWarning, stacklevel=3)
        raise RuntimeError(OVERLAP_MSG)
    if name == "linear" and args and isinstance(args[0], Tensor) and args[0].ndim == 1 and isinstance(out, Tensor):
        # torch writes a 1-D input's linear as a [1, n] row into out, then squeezes it in place
        row = [1, *result.shape]
        if out._data.size:
            warnings.warn(OUT_RESIZED_MSG.format(list(out.shape), row), UserWarning, stacklevel=3)
        out._data = out._xp.empty(result._data.shape, dtype=out._data.dtype)
    if isinstance(result, Tensor):
        if isinstance(out, Tensor) and out.dtype is not result.dtype:
            _check_out_dtype(name, result, out)
        if isinstance(out, tuple | list):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
        _write_out(result, out)
        return out
    if not isinstance(out, tuple | list) or len(out) != len(result):
        raise TypeError(f"{name}(): argument 'out' must be a tuple of {len(result)} Tensors")
    for r, o in zip(result, out, strict=True):
        _write_out(r, o)
    return type(result)(*out) if hasattr(result, "_fields") else tuple(out)


def _write_out(result: Tensor, out: Tensor) -> None:
    if not _can_cast(result.dtype, out.dtype):
        raise RuntimeError(
            f"result type {scalar_type_name(result.dtype)} can't be cast to the desired output type "
            f"{scalar_type_name(out.dtype)}"
        )
    if out._data.shape != result._data.shape:
        if out._data.size:
            warnings.warn(OUT_RESIZED_MSG.format(list(out.shape), list(result.shape)), UserWarning, stacklevel=4)
        out._data = out._xp.empty(result._data.shape, dtype=out._data.dtype)
    with grad_mode.no_grad():
        copy_(out, result)
