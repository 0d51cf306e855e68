"""The backward pass: an iterative traversal of the graph, as torch's engine does it.

One place does what every op would otherwise repeat: it sums an incoming
grad down to the shape of the input it belongs to (undoing broadcasting),
casts it to that input's dtype, frees saved tensors unless ``retain_graph``,
and raises torch's errors. Ready nodes run highest sequence number first, the
order torch's ready queue uses, so hooks fire in the same order.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from sys import getrefcount

import numpy as np

from .._creation import zeros
from .._device import CPU
from .._dtype import _FROM_NUMPY
from ..tensor import Tensor
from . import anomaly_mode, grad_mode
from .graph import AccumulateGrad, GraphTask, Node, running_tasks


def _is_expandable_to(shape: tuple, desired: tuple) -> bool:
    if len(shape) > len(desired):
        return False
    for s, d in zip(reversed(shape), reversed(desired), strict=False):
        if s != d and s != 1:
            return False
    return True


# The array-level sum of ``torch.sum`` (ops/reduction.py installs it: the ops sit above the engine), so that
# summing a grad the engine holds, with no graph to record, skips the op's dispatch and the reshape's view.
array_sum: Callable[[np.ndarray, tuple[int, ...], bool], np.ndarray] | None = None
_PLAIN_FLOATS = (np.float16, np.float32, np.float64)


def sum_to_shape(grad: Tensor, shape: tuple) -> Tensor:
    """Sum ``grad`` over the broadcast dimensions so it has ``shape`` (at::sum_to)."""
    data = grad._data
    lead = data.ndim - len(shape)
    dims = list(range(lead))
    dims += [lead + i for i, s in enumerate(shape) if s == 1 and data.shape[lead + i] != 1]
    if (
        dims
        and array_sum is not None
        and not grad_mode._state.enabled
        and type(grad) is Tensor
        and type(data) is np.ndarray
        and data.dtype.type in _PLAIN_FLOATS
        and grad_mode.forward_level.token is None
    ):
        # no graph and no tangent to carry: the same arrays torch.sum's kernel computes, reshaped
        return Tensor._make(array_sum(data, tuple(dims), True).reshape(shape))
    if dims:
        grad = grad.sum(dims, keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def validate_grad(node: Node, index: int, grad: Tensor, target: Node, input_nr: int) -> Tensor:
    """torch's validate_outputs: fix shape (by summing) and dtype, or raise."""
    shape, np_dtype, dev = target._meta(input_nr)
    if grad._data.shape != shape:
        if not _is_expandable_to(shape, grad._data.shape):
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {index} - got "
                f"{list(grad._data.shape)} but expected shape compatible with {list(shape)}"
            )
        grad = sum_to_shape(grad, shape)
    if grad._data.dtype != np_dtype:
        if grad._data.dtype.kind == "c" and np_dtype.kind != "c":
            # a complex grad reaching a real input keeps its real part (torch's handle_r_to_c)
            grad = grad.real
        grad = grad.to(_FROM_NUMPY[np_dtype])
    if grad.device != dev:
        if grad._data.ndim == 0:  # torch moves a 0-dim grad (a CPU scalar input of a GPU op) to its input's device
            return grad.to(dev)
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {index} - expected device {dev} "
            f"but got {grad.device}"
        )
    return grad


def _call_tensor_hooks(node: Node, grads: list) -> list:
    """Tensor hooks of non-leaf outputs, then retain_grad (torch runs retains_grad last)."""
    if node._tensor_pre_hooks:
        for nr, hooks in node._tensor_pre_hooks.items():
            for fn in list(hooks.values()):
                if grads[nr] is None:
                    continue
                out = fn(grads[nr])
                if out is not None:
                    grads[nr] = out
    if isinstance(node, AccumulateGrad) and node.variable._hooks and grads[0] is not None:
        for fn in list(node.variable._hooks.values()):
            out = fn(grads[0])
            if out is not None:
                grads[0] = out
    if node._retains_grad:
        for nr, ref in node._retains_grad.items():
            t = ref()
            g = grads[nr]
            if t is None or g is None or t._grad_fn is not node:
                continue
            if t._grad is None:
                t._grad = g.detach().clone() if not grad_mode.is_grad_enabled() else g.clone()
            else:
                t._grad = t._grad + g
    return grads


def _call_pre_hooks(node: Node, grads: list) -> list:
    if node._pre_hooks:
        for fn in list(node._pre_hooks.values()):
            out = fn(tuple(grads))
            if out is not None:
                grads = list(out)
    return grads


def _materialize(node: Node, grads: list) -> list:
    # Multi-output nodes get zeros for the outputs nothing flowed into.
    out = []
    for i, g in enumerate(grads):
        if g is None:
            shape, np_dtype, dev = node._meta(i)
            g = zeros(shape, dtype=_FROM_NUMPY[np_dtype], device=dev)
        out.append(g)
    return out


def _needed_nodes(roots: list[Node], targets: set[Node]) -> set[Node]:
    """Nodes from which some target node can be reached (iterative post-order)."""
    needed: set[Node] = set()
    done: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(r, False) for r in roots]
    while stack:
        n, expanded = stack.pop()
        if expanded:
            if n in targets or any(nf in needed for nf, _ in n.next_functions if nf is not None):
                needed.add(n)
            continue
        if n in done:
            continue
        done.add(n)
        stack.append((n, True))
        for nf, _ in n.next_functions:
            if nf is not None and nf not in done:
                stack.append((nf, False))
    return needed


def run_backward(
    roots: Sequence[tuple[Node, int]],
    seeds: Sequence[Tensor],
    keep_graph: bool,
    create_graph: bool,
    capture: Sequence[tuple[Node, int]] | None = None,
    accumulate: bool = True,
) -> list[Tensor | None]:
    """Propagate ``seeds`` from the ``roots`` edges.

    With ``capture`` (autograd.grad, or backward(inputs=...)), the grads
    flowing into those edges are returned, and only nodes leading to them run;
    AccumulateGrad runs only when ``accumulate`` is true.
    """
    root_nodes = [n for n, _ in roots]
    # dependencies: how many edges point into each node; the keys are every node the walk reaches (the roots
    # start at 0), which the running GraphTask answers "will it run?" from
    deps: dict[Node, int] = dict.fromkeys(root_nodes, 0)
    stack = list(deps)
    while stack:
        for nf, _ in stack.pop().next_functions:
            if nf is not None:
                if nf in deps:
                    deps[nf] += 1
                else:
                    deps[nf] = 1
                    stack.append(nf)

    captured: list[Tensor | None] = []
    capture_at: dict[Node, list[tuple[int, int]]] = {}
    needed: set[Node] | None = None
    if capture is not None:
        captured = [None] * len(capture)
        for i, (n, nr) in enumerate(capture):
            capture_at.setdefault(n, []).append((nr, i))
        needed = _needed_nodes(root_nodes, set(capture_at))

    buffers: dict[Node, list] = {}
    for (node, nr), seed in zip(roots, seeds, strict=True):
        meta = node._meta(nr) if node._is_accumulate else node._out_meta[nr]
        sd = seed._data
        if sd.shape != meta[0] or sd.dtype != meta[1] or meta[2] is not CPU or type(sd) is not np.ndarray:
            seed = validate_grad(node, 0, seed, node, nr)  # cast an integer seed, check the device
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * max(1, _num_outputs(node))
        buf[nr] = seed if buf[nr] is None else buf[nr] + seed
    # ``nxt``: the one ready node while the queue is otherwise empty (a chain's next node skips the heap;
    # the queue would pop it next anyway)
    ready: list[tuple[int, int, Node]] = []
    nxt: Node | None = None
    tie = 0
    if len(root_nodes) == 1:
        nxt = root_nodes[0]  # one root (loss.backward()): nothing points into it
    else:
        for node in dict.fromkeys(root_nodes):
            if deps[node] == 0:
                heapq.heappush(ready, (-node._sequence_nr, tie, node))
                tie += 1

    # Sums the engine made of several incoming grads (never with create_graph, where grads carry
    # graphs): until handed to a node they are private, so later grads are added in place, and a
    # leaf's first grad can be kept instead of copied. Keyed by id; the dict keeps them alive.
    owned: dict[int, Tensor] = {}
    prev_mode = grad_mode._state.enabled
    grad_mode._set_enabled(create_graph)
    heappop, heappush = heapq.heappop, heapq.heappush
    # read once per call: with anomaly mode off the loop pays one local test per executed node
    nan_check = anomaly_mode._flags.enabled and anomaly_mode._flags.check_nan
    # forward over reverse: inside a dual level, the grads a node computes carry tangents (None otherwise)
    node_tangents = grad_mode.forward_level.node_tangents if grad_mode.forward_level.token is not None else None
    # one test per node for what most runs never need
    capturing, watching = bool(capture_at) or not accumulate, nan_check or node_tangents is not None
    node = None  # the node being evaluated, named by anomaly mode's warning if it fails
    # published for multi-grad hooks (graph.will_engine_execute_node); autograd.grad captures leaves unrun
    leaves = frozenset(n for n in capture_at if n._is_accumulate) if capture_at and not accumulate else frozenset()
    running_tasks.append(GraphTask(deps, needed, leaves))
    try:
        while nxt is not None or ready:
            if nxt is not None:
                node, nxt = nxt, None
            else:
                node = heappop(ready)[2]
            grads = buffers.pop(node, None) or [None]
            if needed is not None and node not in needed:
                continue  # leads to no captured input: torch never runs it, nor its tensor hooks
            steal = False  # AccumulateGrad may keep the grad as the leaf's .grad without a copy
            if owned:
                for g in grads:
                    if g is not None and owned.pop(id(g), None) is not None:
                        steal = node._is_accumulate
            hooked = node._hooked  # most nodes carry no hook: one test instead of four
            if hooked or node._is_accumulate:
                if node._tensor_pre_hooks or node._retains_grad or (node._is_accumulate and node.variable._hooks):
                    steal = False
                    grads = _call_tensor_hooks(node, grads)
                elif node._is_accumulate and not steal and not create_graph and grads[0] is not None:
                    outs = g = gd = None  # the loop's own references to the previous node's grads
                    steal = _unshared(grads[0])
            run = True
            if capturing:
                if node in capture_at:
                    for nr, i in capture_at[node]:
                        captured[i] = grads[nr]
                    run = not node._is_accumulate
                if node._is_accumulate and not accumulate:
                    run = False
            if run and (grads[0] is not None if len(grads) == 1 else any(g is not None for g in grads)):
                if hooked and node._pre_hooks:
                    grads = _call_pre_hooks(node, grads)
                    steal = False
                if len(grads) > 1 and node.materialize_grads and any(g is None for g in grads):
                    grads = _materialize(node, grads)
                outs = node.apply(grads[0], True) if steal else node.apply(*grads)
                if hooked and node._post_hooks:
                    for fn in list(node._post_hooks.values()):
                        res = fn(tuple(outs), tuple(grads))
                        if res is not None:
                            outs = res
                if not keep_graph:
                    node._release()  # a node's own _release (a custom Function's, CopySlices') frees what it holds
                if watching:
                    if nan_check:
                        anomaly_mode.check_nan(node, outs)
                    if node_tangents is not None:
                        node_tangents(node, grads, outs)
            else:
                outs = ()
            n_outs = len(outs)
            for i, (nf, nr) in enumerate(node.next_functions):
                if nf is None:
                    continue
                g = outs[i] if i < n_outs else None
                if g is not None:
                    # fast path: shape, dtype and device already right (the common case; NumPy's builtin dtypes
                    # are singletons, so identity answers before the slower dtype comparison is needed)
                    gd = g._data
                    gdt = gd.dtype
                    if nf._is_accumulate:
                        vd = nf.variable._data  # the leaf's own array: a NumPy array is on the CPU
                        if (
                            gd.shape != vd.shape
                            or (gdt is not vd.dtype and gdt != vd.dtype)
                            or type(vd) is not np.ndarray
                            or type(gd) is not np.ndarray
                        ):
                            g = validate_grad(node, i, g, nf, nr)
                    else:
                        meta = nf._out_meta[nr]
                        if (
                            gd.shape != meta[0]
                            or (gdt is not meta[1] and gdt != meta[1])
                            or meta[2] is not CPU
                            or type(gd) is not np.ndarray
                        ):
                            g = validate_grad(node, i, g, nf, nr)
                    buf = buffers.get(nf)
                    if buf is None:
                        buffers[nf] = [g] if nf._is_accumulate or len(nf._out_meta) == 1 else _slot(nf, nr, g)
                    else:
                        cur = buf[nr]
                        if cur is None:
                            buf[nr] = g
                        elif id(cur) in owned:
                            cur._data += g._data  # our own sum, not yet handed to anyone: add in place
                        else:
                            cur = buf[nr] = cur + g
                            if not create_graph:
                                owned[id(cur)] = cur
                left = deps[nf] - 1
                deps[nf] = left
                if left == 0:
                    if nxt is None and not ready:
                        nxt = nf
                    else:
                        if nxt is not None:
                            heappush(ready, (-nxt._sequence_nr, tie, nxt))
                            tie += 1
                            nxt = None
                        heappush(ready, (-nf._sequence_nr, tie, nf))
                        tie += 1
    except Exception:
        # as torch's GraphTask::set_exception: in anomaly mode, say which node failed and where it was made
        if node is not None and anomaly_mode._flags.enabled:
            anomaly_mode.warn_failed_node(node)
        raise
    finally:
        running_tasks.pop()
        grad_mode._set_enabled(prev_mode)
    return captured


def _unshared(grad: Tensor) -> bool:
    """Whether only the engine's buffer holds ``grad`` and its array, so the leaf may keep it as its ``.grad``
    without a copy: torch's AccumulateGrad steals a grad whose use count says nobody else holds it; here
    the reference counts of the tensor (the buffer, this call's argument, getrefcount's own) and of its
    array (the tensor, the local, getrefcount's), and no view in between."""
    data = grad._data
    return (
        type(grad) is Tensor
        and type(data) is np.ndarray
        and data.base is None
        and grad._base is None
        and getrefcount(data) == 3
        and getrefcount(grad) == 3
    )


def _slot(node: Node, nr: int, g: Tensor) -> list:
    buf: list = [None] * len(node._out_meta)
    buf[nr] = g
    return buf


def _num_outputs(node: Node) -> int:
    if isinstance(node, AccumulateGrad):
        return 1
    return len(node._out_meta)
