"""The autograd graph: ``Node`` (torch's ``grad_fn`` objects), saved tensors, hooks.

A node stands for one recorded op. ``next_functions`` holds one edge
``(node_or_None, input_nr)`` per differentiable input, like torch. Each node
keeps the shape and dtype of the outputs it produced, so the engine can undo
broadcasting and cast incoming grads in one place.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import weakref
from collections.abc import Callable, Container, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from .grad_mode import _set_enabled, anomaly, is_grad_enabled

if TYPE_CHECKING:
    from ..tensor import Tensor  # annotations only: tensor.py imports this module

_sequence = itertools.count()
_ACCUMULATE_SEQ = 1 << 62  # torch gives AccumulateGrad UINT64_MAX: it runs first once ready

FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward."
)


class RemovableHandle:
    """Returned by ``register_hook``: ``remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, registry: dict) -> None:
        self._registry = registry
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self._registry.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _short_name(node: Node) -> str:
    # torch names the producing op without its "Backward<N>" suffix: "output 0 of Mul"
    return re.sub(r"Backward\d*$", "", node.name())


class SavedTensor:
    """A tensor saved for backward, with the version it had when saved.

    Outputs of the node itself are kept as a detached alias (no grad_fn) so
    the node and its output do not form a reference cycle; unpacking gives the
    output back with its grad_fn for double backward.
    """

    __slots__ = ("grad_fn_type", "is_output", "output_nr", "requires_grad", "tensor", "version")

    def __init__(self, tensor: Tensor, is_output: bool) -> None:
        self.version = tensor._vc[0]
        self.is_output = is_output
        if is_output:
            self.output_nr = tensor._output_nr
            self.requires_grad = tensor.requires_grad
            # the node's class, not the node: keeping the node would make a reference cycle
            self.grad_fn_type = type(tensor._grad_fn) if tensor._grad_fn is not None else None
            self.tensor = tensor._alias()
        else:
            self.tensor = tensor

    def checked(self) -> Tensor:
        """The saved tensor as kept (an output's detached alias), after the in-place check."""
        t = self.tensor
        if t._vc[0] != self.version:
            raise RuntimeError(self._modified_message())
        return t

    def unpack(self, node: Node) -> Tensor:
        t = self.checked()
        if self.is_output and self.requires_grad:
            fw = t.__dict__.get("_fw")
            t = t._alias()
            t._grad_fn, t._output_nr = node, self.output_nr
            if fw is not None:  # the output's forward-AD tangent (forward_ad shares it with the saved alias)
                t.__dict__["_fw"] = fw
        return t

    def _modified_message(self) -> str:
        t = self.tensor
        if self.is_output:
            cls = self.grad_fn_type
            # name() may be overridden (constant per class): ask a bare instance
            where = f", which is output {self.output_nr} of {_short_name(cls.__new__(cls))}," if cls else ""
        elif t.grad_fn is not None:  # the property: a view modified in place gets its regenerated node
            where = f", which is output {t._output_nr} of {_short_name(t.grad_fn)},"
        else:
            where = ""
        dims = ", ".join(str(s) for s in t.shape)
        return (
            "one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"[{t._type_string()} [{dims}]]{where} is at version {t._vc[0]}; expected version {self.version} "
            f"instead. Hint: {ANOMALY_HINT if anomaly.enabled else PLAIN_HINT}"
        )


# -- saved tensors hooks (torch.autograd.graph.saved_tensors_hooks) ----------------------------------------
# The stack of (pack, unpack) pairs pushed by saved_tensors_hooks; the innermost (last) pair applies. Saving
# tests only its truthiness, so the feature costs one test per saved tensor while no hooks are registered.
_hooks_stack: list[tuple[Callable, Callable]] = []
# disable_saved_tensors_hooks's message while it is active (torch's disabled_error_message), else None
_hooks_disabled: list[str | None] = [None]

PACK_INPLACE_MSG = (
    "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook cannot be "
    "modified by in-place operations as this can lead to unexpected side-effects. Please open an issue if you "
    "need to perform in-place operations on the input to a pack hook."
)


def make_saved(tensor: Tensor, is_output: bool) -> SavedTensor:
    """A SavedTensor, packed by the innermost saved tensors hooks when some are registered."""
    if _hooks_stack:
        return HookedSavedTensor(tensor, is_output)
    return SavedTensor(tensor, is_output)


class HookedSavedTensor(SavedTensor):
    """A tensor saved under saved_tensors_hooks: what pack returned is kept, unpack runs at every access.

    As torch's SavedVariable with hooks, there is no version check (the packed value may be anything), and
    the unpacked tensor gets the saved tensor's autograd identity: the node for an output of the node, the
    tensor's grad_fn for a non-leaf input, the leaf's grad accumulator for a leaf that requires grad.
    """

    __slots__ = ("acc", "grad_fn", "packed", "tensor_cls", "unpack_hook")

    def __init__(self, tensor: Tensor, is_output: bool) -> None:
        pack, self.unpack_hook = _hooks_stack[-1]
        self.is_output = is_output
        self.requires_grad = tensor.requires_grad
        self.tensor_cls = type(tensor).__mro__[-2]  # the Tensor class (graph sits below tensor.py)
        self.grad_fn = self.acc = None
        if is_output:
            self.output_nr = tensor._output_nr
        elif tensor._grad_fn is not None:
            self.grad_fn, self.output_nr = tensor._grad_fn, tensor._output_nr
        elif self.requires_grad:
            self.acc = tensor._accumulator()
        version = tensor._vc[0]
        # torch runs pack hooks inside the op, below autograd: grad mode is off
        prev = is_grad_enabled()
        _set_enabled(False)
        try:
            self.packed = pack(tensor)
        finally:
            _set_enabled(prev)
        if tensor._vc[0] != version:
            raise RuntimeError(PACK_INPLACE_MSG)

    def unpack(self, node: Node) -> Tensor:
        t = self.unpack_hook(self.packed)
        if not isinstance(t, self.tensor_cls):
            raise TypeError(
                f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type {type(t).__name__}"
            )
        out = t._alias()
        if self.is_output:
            if self.requires_grad:
                out._grad_fn, out._output_nr = node, self.output_nr
        elif self.grad_fn is not None:
            out._grad_fn, out._output_nr = self.grad_fn, self.output_nr
        elif self.acc is not None:
            # a new tensor that is the saved leaf for autograd: its grads reach the leaf's accumulator
            out._requires_grad = True
            out._acc_node = weakref.ref(self.acc)
        return out


def _check_hooks_enabled() -> None:
    msg = _hooks_disabled[0]
    if msg is not None:
        raise RuntimeError(msg)


class saved_tensors_hooks:  # noqa: N801 (torch's name)
    """Tensors saved for backward inside this context are stored as ``pack_hook(tensor)`` and given back to
    backward (and ``grad_fn._saved_*``) as ``unpack_hook(packed)``, at every access."""

    def __init__(self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> None:
        if not (callable(self.pack_hook) and callable(self.unpack_hook)):
            # torch's pybind binding refuses the arguments with this first line
            raise TypeError(
                "_push_saved_tensors_default_hooks(): incompatible function arguments. The following argument "
                "types are supported:\n    1. (arg0: collections.abc.Callable, arg1: collections.abc.Callable) "
                f"-> None\n\nInvoked with: {self.pack_hook!r}, {self.unpack_hook!r}"
            )
        _check_hooks_enabled()
        _hooks_stack.append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *args: object) -> None:
        _hooks_stack.pop()


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 (torch's name)
    """Saved tensors are kept as CPU copies and moved back to their device when backward needs them.

    On CPU ``tensor.cpu()`` is the tensor itself, as in torch, so nothing is copied unless ``pin_memory``.
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack_to_cpu(tensor: Tensor) -> tuple[Any, Tensor]:
            if not pin_memory:
                return (tensor.device, tensor.cpu())
            # torch copies into a fresh (pinned where CUDA is available) CPU buffer
            packed = tensor.detach().cpu().clone()
            return (tensor.device, packed)

        def unpack_from_cpu(packed: tuple[Any, Tensor]) -> Tensor:
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str) -> Iterator[None]:
    """Registering saved tensors hooks inside raises ``RuntimeError(error_message)``; so does entering it
    while hooks are registered (torch checks its hooks stack when disabling)."""
    prev = _hooks_disabled[0]
    try:
        _hooks_disabled[0] = error_message
        if _hooks_stack:
            raise RuntimeError(error_message)
        yield
    finally:
        _hooks_disabled[0] = prev


PLAIN_HINT = ("enable anomaly detection to find the operation that failed to compute its gradient, "
              "with torch.autograd.set_detect_anomaly(True, check_nan=False).")  # fmt: skip
ANOMALY_HINT = ("the backtrace further above shows the operation that failed to compute its gradient. The variable "
                "in question was changed in there or anywhere later. Good luck!")  # fmt: skip


def _add_hook(hooks: dict, fn: Callable) -> RemovableHandle:
    """Add ``fn`` to ``hooks`` under a new handle's id; the handle removes it again."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


class Node:
    """A recorded op. Subclasses implement ``apply(*grad_outputs) -> tuple of grads``."""

    # Only what every node sets lives in slots; the rest are class-level defaults
    # that a node overrides in its __dict__ when it needs them (creation stays cheap).
    __slots__ = ("__dict__", "__weakref__", "_out_meta", "_sequence_nr", "next_functions")

    _saved: dict[str, SavedTensor] | None = None
    _released = False
    _pre_hooks: dict | None = None
    _post_hooks: dict | None = None
    _tensor_pre_hooks: dict[int, dict] | None = None
    _retains_grad: dict[int, Any] | None = None
    _is_accumulate = False
    # set once any hook or retain_grad is registered on the node: the backward loop then checks which
    _hooked = False
    # a multi-output node gets zeros for the outputs nothing flowed into; a node that tells an output nothing
    # flowed into from a zero grad (as torch's C++ nodes see an undefined grad) sets this False and gets None
    materialize_grads = True

    def __init__(self) -> None:
        self._sequence_nr = next(_sequence)

    @property
    def metadata(self) -> dict:
        d = self.__dict__.get("_metadata")
        if d is None:
            d = self.__dict__["_metadata"] = {}
        return d

    # -- identity --------------------------------------------------------------
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        # the class name, as Python prints torch's nodes (name() may carry a C++ namespace)
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def _sequence_number(self) -> int:
        return self._sequence_nr

    # -- saved tensors ---------------------------------------------------------
    def save(self, name: str, tensor: Tensor, is_output: bool = False) -> None:
        saved = self._saved
        if saved is None:
            saved = self._saved = {}
        saved[name] = SavedTensor(tensor, is_output) if not _hooks_stack else HookedSavedTensor(tensor, is_output)

    def saved(self, name: str) -> Tensor:
        if self._released:
            raise RuntimeError(FREED_MSG)
        return self._saved[name].unpack(self)  # type: ignore[index]

    def saved_data(self, name: str) -> Any:
        """The array of saved tensor ``name``, with ``saved``'s checks, for a formula that runs on arrays (a
        saved output is not rebuilt as a tensor with this node as its grad_fn)."""
        if self._released:
            raise RuntimeError(FREED_MSG)
        s = self._saved[name]  # type: ignore[index]
        if type(s) is SavedTensor:
            return s.checked()._data
        return s.unpack(self)._data  # saved-tensor hooks decide what comes back

    def _release(self) -> None:
        if self._saved:
            self._saved = None
            self._released = True

    def __getattr__(self, name: str) -> Any:
        # torch exposes saved values as grad_fn._saved_<name>
        if name.startswith("_saved_"):
            key = name[len("_saved_") :]
            saved = self._saved
            if saved and key in saved:
                return self.saved(key)
            if self._released:
                raise RuntimeError(FREED_MSG)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # -- hooks -----------------------------------------------------------------
    def register_hook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after this node computed its grads."""
        if self._post_hooks is None:
            self._post_hooks = {}
        self._hooked = True
        return _add_hook(self._post_hooks, fn)

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node computes its grads."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        self._hooked = True
        return _add_hook(self._pre_hooks, fn)

    def _add_tensor_pre_hook(self, output_nr: int, fn: Callable) -> RemovableHandle:
        if self._tensor_pre_hooks is None:
            self._tensor_pre_hooks = {}
        self._hooked = True
        return _add_hook(self._tensor_pre_hooks.setdefault(output_nr, {}), fn)

    # -- graph -----------------------------------------------------------------
    def _meta(self, input_nr: int) -> tuple[tuple[int, ...], Any, Any]:
        """(shape, numpy dtype, device) of the forward output number ``input_nr``."""
        return self._out_meta[input_nr]

    def apply(self, *grads: Tensor) -> tuple:
        raise NotImplementedError(f"{self.name()} has no backward")

    def __call__(self, *grads: Tensor) -> Any:
        out = self.apply(*grads)
        return out[0] if len(out) == 1 else out


class AccumulateGrad(Node):
    """The sink for a leaf: adds the incoming grad into ``variable.grad``."""

    __slots__ = ("variable",)
    _is_accumulate = True

    def __init__(self, variable: Tensor) -> None:
        super().__init__()
        self.variable = variable
        self._sequence_nr = _ACCUMULATE_SEQ
        self.next_functions = ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"  # torch's C++ node keeps its namespace in name()

    def _meta(self, input_nr: int) -> tuple:
        v = self.variable
        return v._data.shape, v._data.dtype, v.device

    def apply(self, grad: Tensor, owned: bool = False) -> tuple:  # type: ignore[override]
        """``owned``: the engine made ``grad`` and nobody else holds it, so it can be kept as is."""
        var = self.variable
        if grad is None or not var._requires_grad:
            return ()  # a leaf frozen after the graph was built keeps its .grad (torch returns early too)
        old = var._grad
        if old is None:
            if is_grad_enabled():
                # create_graph: torch stores a copy made with copy_ (a CopyBackwards node when the grad has
                # a graph), so the grad keeps its history without aliasing the incoming tensor; the copy
                # takes the variable's memory layout (torch's layout contract for .grad)
                var._grad = grad._wrap(grad._xp.empty_like(var._data)).copy_(grad)
            elif owned and grad._grad_fn is None and grad._base is None and grad._data.strides == var._data.strides:
                var._grad = grad
            elif var._data.flags.c_contiguous:
                # A private copy (C order, as the variable): the same grad object may reach several leaves,
                # and torch's .grad follows its leaf's strides (so p.grad.view(-1) works)
                var._grad = grad._wrap(grad._data.copy())
            else:
                layout = grad._xp.empty_like(var._data)
                layout[...] = grad._data
                var._grad = grad._wrap(layout)
        elif is_grad_enabled():
            var._grad = old + grad
        else:
            old._data += grad._data
            old._vc[0] += 1
        hooks = var._post_acc_hooks
        if hooks:
            for fn in list(hooks.values()):
                fn(var)
        return ()


class AsStridedBackward0(Node):
    """A view's node after an in-place op on it: its grad lands in the base's region.

    derivatives.yaml: ``as_strided: self: as_strided_backward(grad, TensorGeometry(self), size, stride,
    storage_offset)``: zeros of the base's geometry with ``grad`` written into the view's region.
    """

    def __init__(
        self, base: Tensor, view_fn: Callable[[Tensor], Tensor], backward: Callable[[Tensor], Tensor] | None = None
    ) -> None:
        super().__init__()
        self.view_fn = view_fn
        self._base_meta = (base._data.shape, base._data.dtype)
        # torch.as_strided's own node (ops/shape.py) passes its formula, written in engine ops (double backward)
        self.backward_fn = backward

    def apply(self, grad: Tensor) -> tuple:
        if self.backward_fn is not None:
            return (self.backward_fn(grad),)
        shape, np_dtype = self._base_meta
        full = grad._wrap(grad._xp.zeros(shape, dtype=np_dtype))
        region = self.view_fn(full)
        region._data[...] = grad._data
        return (full,)


def regenerate_view_grad_fn(view: Tensor) -> None:
    """torch's view grad_fn regeneration: after its storage changed in place, a view's history is
    AsStridedBackward0 into the base's current history (other views of that base included)."""
    base = view._base
    base_requires_grad = base._requires_grad or base._grad_fn is not None
    if view.__dict__.get("_view_created_in_no_grad") or not (base_requires_grad or view._grad_fn is not None):
        return  # nothing to regenerate yet: the version stays unseen, as in torch, until the base requires grad
    view._view_version = view._vc[0]
    node = AsStridedBackward0(base, view._view_fn)  # type: ignore[arg-type]
    # a view with history keeps one even if its leaf base was frozen since (then with no edge)
    node.next_functions = (base._edge() if base_requires_grad else (None, 0),)
    node._out_meta = ((view._data.shape, view._data.dtype, view.device),)
    old, old_nr = view._grad_fn, view._output_nr
    view._grad_fn, view._output_nr = node, 0
    if view._retains_grad:  # torch moves only retain_grad's hook; other tensor hooks stay on the old node
        view._install_retain_hook(old, old_nr)


# -- the running backward (torch's GraphTask, as far as Python can see it) -----------------------------------
class GraphTask:
    """One run of the backward loop: its id, the nodes it can reach, and which of them it will execute.

    ``needed`` is None when every reachable node runs (``backward()`` without ``inputs``); ``captured_leaves``
    holds the grad accumulators autograd.grad captures instead of running.
    """

    __slots__ = ("captured_leaves", "id", "needed", "nodes")
    _ids = itertools.count()

    def __init__(self, nodes: Container, needed: set | None, captured_leaves: frozenset) -> None:
        self.id = next(GraphTask._ids)
        self.nodes = nodes
        self.needed = needed
        self.captured_leaves = captured_leaves


# the backward loops running now, innermost last (a hook may run a backward of its own)
running_tasks: list[GraphTask] = []


def current_graph_task_id() -> int:
    """torch._C._current_graph_task_id: the running backward's id, -1 outside backward."""
    return running_tasks[-1].id if running_tasks else -1


def will_engine_execute_node(node: Node) -> bool:
    """torch._C._will_engine_execute_node: whether the running backward will execute ``node``."""
    if not running_tasks:
        raise RuntimeError("_get_should_execute_nodes should only be called during the backward pass")
    task = running_tasks[-1]
    if node not in task.nodes:
        return False
    if task.needed is None:
        return True
    if node in task.captured_leaves:
        raise RuntimeError(
            "A leaf node was passed to _will_engine_execute_node but we are currently running autograd.grad(). "
            "This is currently not supported."
        )
    return node in task.needed


def _grad_fn_or_grad_acc(t: Any) -> Node:
    if isinstance(t, GradientEdge):
        return t.node
    node = t._accumulator() if t.requires_grad and t.grad_fn is None else t.grad_fn
    if node is None:
        raise AssertionError("Expected gradient function to be set")
    return node


class _MultiHandle(RemovableHandle):
    """The handle of a multi-grad hook: ``remove()`` removes the hook from every tensor."""

    def __init__(self, handles: tuple[RemovableHandle, ...]) -> None:
        self.handles = handles

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def register_multi_grad_hook(tensors: Any, fn: Callable, *, mode: str = "all") -> RemovableHandle:
    """``fn`` runs once per backward: with ``mode="all"`` on the grads of all ``tensors`` (None for those
    this backward does not compute) once the last one it computes is ready; with ``mode="any"`` on the
    first grad computed. Built as torch builds it: a tensor hook per tensor, counted per graph task."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    if mode == "all":
        counts: dict[int, int] = {}
        buffers: dict[int, list] = {}
        expected: list[int] = [0]
        grad_fns = [_grad_fn_or_grad_acc(t) for t in tensors]

        def inner_hook_for(idx: int) -> Callable:
            def inner_hook(grad: Tensor) -> None:
                task = current_graph_task_id()
                if task == -1:
                    raise AssertionError("expected this hook to be called inside a backward call")
                count = counts.get(task, 0)
                counts[task] = count + 1
                buffer = buffers.setdefault(task, [None] * len(tensors))
                if count == 0:  # torch counts the tensors this backward reaches on the first call
                    expected[0] = sum(will_engine_execute_node(n) for n in grad_fns)  # type: ignore[arg-type]
                buffer[idx] = grad
                if count == expected[0] - 1:
                    fn(buffer)
                    del counts[task], buffers[task]

            return inner_hook

        handles = tuple(t.register_hook(inner_hook_for(i)) for i, t in enumerate(tensors))
    else:
        ran: set[int] = set()

        def wrapped(grad: Tensor) -> None:
            task = current_graph_task_id()
            if task == -1:
                raise AssertionError("expected this hook to be called inside a backward call")
            if task in ran:
                return
            ran.add(task)
            fn(grad)

        handles = tuple(t.register_hook(wrapped) for t in tensors if t.requires_grad)
    return _MultiHandle(handles)


class GradientEdge(NamedTuple):
    """torch.autograd.graph.GradientEdge: the (node, output_nr) a tensor's gradient flows into."""

    node: Node
    output_nr: int
    ownership_token: Any = None


def get_gradient_edge(tensor: Tensor) -> GradientEdge:
    """The edge a gradient for ``tensor`` flows into: its grad_fn, or its grad accumulator for a leaf."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require gradients")
    node, nr = tensor._edge()
    return GradientEdge(node, nr)


def increment_version(tensor: Any) -> None:
    """Bump the version counter(s) as an in-place op would, so saved copies of them are seen as modified."""
    for t in (tensor,) if not isinstance(tensor, list | tuple) else tensor:
        t._vc[0] += 1


class GraphRoot(Node):
    """Only used for error messages: torch names the root node this way."""


def collect_next_edges(*tensors: Any) -> tuple:
    return tuple(t._edge() if t is not None and t.requires_grad else (None, 0) for t in tensors)
