"""``Tensor``: an array plus torch's autograd state.

A tensor holds ``_data`` (a NumPy or CuPy array), and for autograd:
``_requires_grad`` (leaves only), ``_grad_fn``/``_output_nr`` (non-leaves),
``_grad``, and ``_vc``, a one-element list shared with every view of the same
storage: torch's version counter, bumped by each in-place op.

Ops (``add``, ``sum``, ``view`` ...) live in ``reference_engine.ops``; they, and
the few methods that need modules above this one (``backward``, ``new_tensor``,
``torch.Tensor(...)``), are attached in ``reference_engine._tensor_surface``.
This file keeps only what is about the tensor itself, and imports nothing above
the autograd graph.
"""

from __future__ import annotations

import copy
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import _dtype as D
from ._backend import NO_CUDA_LIBRARY_MESSAGE, array_module, cupy_module, is_cuda_array, to_numpy
from ._device import CPU, device
from ._layout import strided
from ._printing import tensor_repr
from .autograd import grad_mode
from .autograd.graph import AccumulateGrad, RemovableHandle, regenerate_view_grad_fn

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
    "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
    "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)
LEAF_INPLACE_MSG = "a leaf Variable that requires grad is being used in an in-place operation."


# torch's messages name a gradient's dtype by its C++ type and a tensor's by its ScalarType
_CPP_TYPE_NAMES = {
    "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double", "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
    "int32": "int", "int64": "long int", "bool": "bool",
}  # fmt: skip
_SCALAR_TYPE_NAMES = {
    "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
    "complex128": "ComplexDouble", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
    "int64": "Long", "bool": "Bool",
}  # fmt: skip


class Size(tuple):
    """torch.Size: a tuple whose repr is ``torch.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item: Any) -> Any:
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other: tuple) -> Size:  # type: ignore[override]
        return Size(tuple(self) + tuple(other))


def _class_name(cls: type) -> str:
    """A class as torch's messages name it (CPython's ``tp_name``): a Python class by its name, a C type with
    its module ('numpy.ndarray'), a builtin bare ('int')."""
    if cls.__flags__ & (1 << 9) or cls.__module__ == "builtins":  # Py_TPFLAGS_HEAPTYPE: a class made in Python
        return cls.__name__
    return f"{cls.__module__}.{cls.__name__}"


class Tensor:
    # Every tensor sets these; the rest are class-level defaults that a tensor overrides in its
    # __dict__ only when it needs them (leaves, views, hooks), so creating one stays cheap.
    __slots__ = ("__dict__", "__weakref__", "_data", "_grad_fn", "_output_nr", "_requires_grad", "_vc")

    _grad: Tensor | None = None
    _base: Tensor | None = None
    _view_fn: Callable[[Tensor], Tensor] | None = None
    _acc_node: Any = None
    _hooks: dict | None = None
    _post_acc_hooks: dict | None = None
    _retains_grad = False
    _view_version = 0  # a view's version counter value when its grad_fn was last set

    # ------------------------------------------------------------------ creation
    # __new__ (torch.Tensor(2, 3), torch.Tensor([1, 2])) is _tensortype.legacy_tensor_construct, attached by _tensor_surface
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    @classmethod
    def _make(cls, data: Any, grad_fn: Any = None, output_nr: int = 0) -> Tensor:
        """Wrap an array (the hot path of every op: keep it lean)."""
        # NumPy scalars (what a 0-d op returns) are tested first: the CuPy test reads the type's module name
        if type(data) is not np.ndarray and (isinstance(data, np.generic) or not is_cuda_array(data)):
            data = np.asarray(data)
        self = object.__new__(cls)
        self._data = data
        self._requires_grad = False
        self._grad_fn = grad_fn
        self._output_nr = output_nr
        self._vc = [0]
        return self

    def _wrap(self, data: Any) -> Tensor:
        """``Tensor._make(data)`` for the autograd graph, which sits below this module and cannot name Tensor."""
        return Tensor._make(data)

    def _fw_tangent(self) -> Tensor | None:
        """The tangent forward AD gave this tensor at the live dual level, or None."""
        fw = self.__dict__.get("_fw")
        if fw is not None and fw[0] is grad_mode.forward_level.token:
            return fw[1]
        return None

    def _alias(self) -> Tensor:
        """Same storage and version counter, no autograd history."""
        t = object.__new__(Tensor)  # Tensor._make's fields, without its checks: the array is already one
        t._data = self._data
        t._requires_grad = False
        t._grad_fn = None
        t._output_nr = 0
        t._vc = self._vc
        return t

    # ------------------------------------------------------------------ metadata
    @property
    def dtype(self) -> D.dtype:
        return D._FROM_NUMPY[self._data.dtype]

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._wrap_dim(dim)]

    def _wrap_dim(self, dim: int, ndim: int | None = None) -> int:
        n = self._data.ndim if ndim is None else ndim
        lo, hi = (-1, 0) if n == 0 else (-n, n - 1)
        if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
            raise TypeError(f"dim must be an int, not {type(dim).__name__}")
        if dim < lo or dim > hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
        return int(dim) % max(n, 1)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    @property
    def device(self) -> device:
        if type(self._data) is np.ndarray:
            return CPU
        if is_cuda_array(self._data):
            return device("cuda", self._data.device.id)
        return CPU

    @property
    def is_cuda(self) -> bool:
        return is_cuda_array(self._data)

    @property
    def is_cpu(self) -> bool:
        return not is_cuda_array(self._data)

    is_sparse = False
    is_quantized = False
    is_meta = False
    is_nested = False
    layout = strided

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f" or self._data.dtype == D.BF16

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[self._wrap_dim(dim)]

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        if is_cuda_array(self._data):
            return int(self._data.data.ptr)
        return int(self._data.__array_interface__["data"][0])

    def storage_offset(self) -> int:
        base = self._data
        while getattr(base, "base", None) is not None:
            base = base.base
        if base is self._data or is_cuda_array(self._data):
            return 0
        return (self.data_ptr() - int(np.asarray(base).__array_interface__["data"][0])) // self._data.itemsize

    def get_device(self) -> int:
        return self._data.device.id if is_cuda_array(self._data) else -1

    def type(self, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
        """``x.type()``: the legacy type name ('torch.FloatTensor'); ``x.type(t)``: ``x`` converted to ``t``, a
        dtype, a type name ('torch.cuda.LongTensor' moves it to the GPU too) or a legacy type (torch.DoubleTensor)."""
        for key in kwargs:
            if key != "memory_format":
                raise TypeError(f"type() got an unexpected keyword argument '{key}'")
        if dtype is None:
            return self._type_string()
        if isinstance(dtype, D.dtype):
            return self.to(dtype)
        if isinstance(dtype, type):
            # torch.Tensor, a legacy type (its name is torch's 'torch.FloatTensor'), or any other class by its name
            legacy = getattr(dtype, "_type_name", None)
            name = "torch.Tensor" if dtype is Tensor else legacy if isinstance(legacy, str) else _class_name(dtype)
        elif isinstance(dtype, str):
            name = dtype
        else:
            raise TypeError("dtype must be a type, str, or dtype object")
        target, cuda = D.from_type_name(name)
        if cuda and cupy_module() is None:
            raise RuntimeError(NO_CUDA_LIBRARY_MESSAGE)
        return self.to(device="cuda" if cuda else "cpu", dtype=target)

    def _type_string(self) -> str:
        return ("torch.cuda." if self.is_cuda else "torch.") + self.dtype.tensor_type

    @property
    def _version(self) -> int:
        return self._vc[0]

    # ------------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        base = self._base
        if base is not None:
            self._refresh_view()
            # torch: a view also requires grad while its base does (even one taken before requires_grad_())
            return self._requires_grad or self._grad_fn is not None or base.requires_grad
        return self._requires_grad or self._grad_fn is not None

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._set_requires_grad(value, setter=True)

    def _set_requires_grad(self, value: bool, setter: bool) -> None:
        if not isinstance(value, bool):
            if setter:
                raise RuntimeError("requires_grad must be a bool")
            raise TypeError(
                f"requires_grad_(): argument 'requires_grad' (position 1) must be bool, not {type(value).__name__}"
            )
        if self._grad_fn is not None:
            if value and not setter:
                return  # requires_grad_(True) on a non-leaf: it already requires grad
            msg = "you can only change requires_grad flags of leaf variables."
            if not value:
                msg += (
                    " If you want to use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            raise RuntimeError(msg)
        if value and self._data.dtype.kind not in "fc" and self._data.dtype != D.BF16:
            # torch words the setter's and the method's errors differently
            if setter:
                raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self._set_requires_grad(requires_grad, setter=False)
        return self

    @property
    def is_leaf(self) -> bool:
        if self._base is not None:
            self._refresh_view()
        return self._grad_fn is None

    @property
    def grad_fn(self) -> Any:
        if self._base is not None:
            self._refresh_view()
        return self._grad_fn

    def _refresh_view(self) -> None:
        """Give a view a new grad_fn once its storage was modified in place since its grad_fn was set.

        torch regenerates it (as AsStridedBackward0 into the base's current history), so a view
        taken before ``base.mul_(2)`` backpropagates through the multiplication.
        """
        if self._vc[0] != self._view_version and self._view_fn is not None:
            regenerate_view_grad_fn(self)

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def grad(self) -> Tensor | None:
        if self._grad_fn is not None and not self._retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}"
                )
            if value.dtype is not self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_CPP_TYPE_NAMES[value.dtype.name]}' to a tensor "
                    f"with grad_dtype '{_SCALAR_TYPE_NAMES[self.dtype.name]}'. The gradient must match the tensor's "
                    "grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute "
                    "with a specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the "
                    "dtypes of a tensor and its gradient may break downstream systems that assume they match."
                )
            if value.device != self.device:
                raise RuntimeError("assigned grad has data located on a different device")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of size "
                    f"'{list(self._data.shape)}'. Please ensure that the gradient and the tensor are the same size"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    def _reset_grad(self, set_to_none: bool) -> None:
        """What ``zero_grad`` does to one parameter (Module and Optimizer share it)."""
        g = self._grad
        if g is None:
            return
        if set_to_none:
            self._grad = None
            return
        if g._grad_fn is not None:
            g.detach_()
        else:
            g.requires_grad_(False)
        g.zero_()

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        self._install_retain_hook()

    def _install_retain_hook(self, old: Any = None, old_nr: int = 0) -> None:
        """retain_grad's hook on the current grad_fn; ``old``: the node it moves from (torch pops it there)."""
        if old is not None and old._retains_grad:
            old._retains_grad.pop(old_nr, None)
        node = self._grad_fn
        if node._retains_grad is None:
            node._retains_grad = {}
            node._hooked = True
        node._retains_grad[self._output_nr] = weakref.ref(self)

    def _accumulator(self) -> AccumulateGrad:
        node = self._acc_node and self._acc_node()
        if node is None:
            node = AccumulateGrad(self)
            self._acc_node = weakref.ref(node)
        return node

    def _edge(self) -> tuple[Any, int]:
        if self._base is not None:
            self._refresh_view()
        if self._grad_fn is not None:
            return self._grad_fn, self._output_nr
        return self._accumulator(), 0

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._add_tensor_pre_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = {}
        handle = RemovableHandle(self._post_acc_hooks)
        self._post_acc_hooks[handle.id] = hook
        return handle

    # backward() is autograd.backward, attached by _tensor_surface (the engine sits above this module)

    def detach(self) -> Tensor:
        # shares storage and version counter, but is not a view for autograd (torch: _base is None)
        return self._alias()

    def detach_(self) -> Tensor:
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
                "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
                "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please refer "
                "to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        # unlike detach(), .data gets its own version counter: in-place changes through it go unnoticed
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._data = value._data
        self._vc = value._vc

    # ------------------------------------------------------------------ conversion
    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return to_numpy(self._data).reshape(()).item()

    def tolist(self) -> Any:
        return to_numpy(self._data).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self.__dict__.get("_conj") and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that has conjugate bit set. Use tensor.resolve_conj().numpy() instead."
            )
        if self.is_cuda:
            if force:
                return to_numpy(self._data)
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor "
                "to host memory first."
            )
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = to_numpy(self._data)
        return arr if dtype is None else arr.astype(dtype)

    def _scalar_check(self, what: str) -> Any:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self.item()

    def __float__(self) -> float:
        return float(_real_scalar(self._scalar_check("float"), "double"))

    def __int__(self) -> int:
        return int(_real_scalar(self._scalar_check("int"), "int64_t"))

    def __complex__(self) -> complex:
        return complex(self._scalar_check("complex"))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return id(self)

    def __contains__(self, element: Any) -> bool:
        return bool((self == element).any().item())  # type: ignore[attr-defined]

    def __format__(self, spec: str) -> str:
        # torch formats a 0-d tensor as its Python number (f"{torch.tensor(17.)}" is "17.0")
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec) if spec else str(self)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return tensor_repr(self)

    def __str__(self) -> str:
        return self.__repr__()

    def __deepcopy__(self, memo: dict) -> Tensor:
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at "
                "the moment.  If you were attempting to deepcopy a module, this may be because of a "
                "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001"
            )
        if id(self) in memo:
            return memo[id(self)]
        new = object.__new__(type(self))
        Tensor._init_from(new, self._data.copy())
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        user_attrs = {k: v for k, v in self.__dict__.items() if k not in _AUTOGRAD_STATE}
        if user_attrs:
            new.__dict__.update(copy.deepcopy(user_attrs, memo))
        memo[id(self)] = new
        return new

    @staticmethod
    def _init_from(target: Tensor, data: Any) -> None:
        src = Tensor._make(data)
        for slot in Tensor.__slots__:
            if slot not in ("__weakref__", "__dict__"):
                object.__setattr__(target, slot, getattr(src, slot))

    def __reduce_ex__(self, protocol: int) -> tuple:
        return (_rebuild, (to_numpy(self._data).copy(), self._requires_grad, type(self)))

    # ------------------------------------------------------------------ array module helpers
    @property
    def _xp(self) -> Any:
        return array_module(self._data)

    # new_tensor, new_zeros, new_ones, new_empty, new_full: _creation, attached by _tensor_surface


# Autograd bookkeeping kept in a tensor's __dict__: never copied to another tensor.
_AUTOGRAD_STATE = frozenset(
    (
        "_grad",
        "_base",
        "_view_fn",
        "_acc_node",
        "_hooks",
        "_post_acc_hooks",
        "_retains_grad",
        "_view_created_in_no_grad",
        "_view_version",
    )
)


def _real_scalar(value: Any, c_type: str) -> Any:
    """A complex item converts to a real number only when its imaginary part is zero (torch's checked_convert)."""
    if isinstance(value, complex):
        if value.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {c_type} without overflow")
        return value.real
    return value


def _rebuild(arr: np.ndarray, requires_grad: bool, cls: type) -> Tensor:
    t = object.__new__(cls)
    Tensor._init_from(t, arr)
    t._requires_grad = requires_grad
    return t


def _size_args(size: tuple, fn: str = "empty") -> tuple[int, ...]:
    """Accept f(2, 3), f((2, 3)), f([2, 3]) and f(torch.Size([2, 3])) like torch; ``fn`` names the caller in errors."""
    packed = len(size) == 1 and isinstance(size[0], tuple | list)
    if packed:
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, int | np.integer) or isinstance(s, bool):
            kind = type(s).__name__
            if len(size) == 1 and not packed:
                raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not {kind}")
            if packed and len(size) == 1:
                raise TypeError(
                    f"{fn}(): argument 'size' (position 1) must be tuple of ints, but found element of type "
                    f"{kind} at pos {len(out)}"
                )
            raise TypeError(
                f"{fn}(): argument 'size' failed to unpack the object at pos {len(out) + 1} with error "
                f'"type must be tuple of ints,but got {kind}"'
            )
        out.append(int(s))
    return tuple(out)


def grad_recording(*tensors: Any) -> bool:
    """True when an op on these inputs must be recorded in the graph."""
    if not grad_mode._state.enabled:
        return False
    for t in tensors:
        if type(t) is not bool and isinstance(t, Tensor):
            if t._requires_grad or t._grad_fn is not None:
                return True
            if t._base is not None and t.requires_grad:  # the property: regenerates a stale view first
                return True
    return False
