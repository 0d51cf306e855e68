"""torch.bfloat16 (ml_dtypes' NumPy bfloat16) and CPU autocast, side by side with torch.

bfloat16 results are compared through ``.float()``: float32's tolerance is far below one bfloat16 ulp, so
these compare torch's bits: conversions through float32 (a double rounds twice), arithmetic in float32
rounded once, float32 accumulation in sum/mean/gemm, and the add(alpha=) kernel's two paths.
"""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np
import pytest

import reference_engine as engine
from reference_engine.ops import _autocast
from tests.helpers import ProgramTable, assert_same_result

SAME = ProgramTable(assert_same_result)


def _data(m: Any, shape: tuple[int, ...], seed: int = 0) -> Any:
    values = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return m.tensor(values).bfloat16()


@SAME
def creation_rounds_through_float32(m: Any) -> Any:
    v = 1.0 + 2**-8 + 2**-30  # float64 -> bfloat16 directly rounds up; through float32 it ties to even (1.0)
    return [m.tensor([v, 3.14159, 1e30, 65504.0], dtype=m.bfloat16).float(),
            m.tensor([v], dtype=m.float64).bfloat16().float(), m.full((2,), v, dtype=m.bfloat16).float(),
            m.tensor([v]).to(m.bfloat16).float(), m.zeros(2, dtype=m.bfloat16).dtype == m.bfloat16]  # fmt: skip


@SAME
def dtype_facts(m: Any) -> Any:
    x = _data(m, (3,))
    fi = m.finfo(m.bfloat16)
    return [str(m.bfloat16), x.is_floating_point(), m.is_floating_point(x), x.element_size(), x.type(),
            m.bfloat16.is_floating_point, m.bfloat16.is_signed, m.bfloat16.itemsize, fi.eps, fi.max, fi.tiny,
            fi.bits, fi.resolution, str(fi)]  # fmt: skip


@SAME
def printing(m: Any) -> Any:
    return [repr(m.tensor([1.0, 2.5], dtype=m.bfloat16)), repr(m.tensor(2.5, dtype=m.bfloat16)),
            repr(m.tensor([1.0, 1e-3, 65504.0, 1e30], dtype=m.bfloat16)), str(_data(m, (2, 3)))]  # fmt: skip


@SAME
def promotion(m: Any) -> Any:
    x = _data(m, (4,))
    return [str(t.dtype) for t in (x * 2, x * 2.5, x + m.ones(4), x + m.ones(4).half(), x * m.ones(4, dtype=m.int64),
                                   x + m.tensor(1.5), x + m.tensor(1.5, dtype=m.float64))] + [
        str(m.promote_types(m.bfloat16, m.float16)), str(m.result_type(x, 1.5))]  # fmt: skip


@SAME
def arithmetic_rounds_once(m: Any) -> Any:
    x, y = _data(m, (6, 7)), _data(m, (6, 7), 1)
    return [t.float() for t in (x * y, x + y, x / y, x * 0.1, x + 0.1, x / 3, x**2, x.exp(), x.tanh(), x.sigmoid(),
                                m.relu(x), x.abs().sqrt(), m.sub(x, y, alpha=0.3), m.add(x, y, alpha=-0.1))]  # fmt: skip


@SAME
def add_alpha_vector_and_tail(m: Any) -> Any:
    # torch's bfloat16 add(alpha=) runs whole chunks of 32 elements in a float32 FMA, the rest in bfloat16 steps
    return [m.add(_data(m, (n,)), _data(m, (n,), 1), alpha=0.3).float() for n in (3, 31, 32, 33, 100)]


@SAME
def reductions_accumulate_in_float32(m: Any) -> Any:
    x = _data(m, (30, 40))
    return [t.float() for t in (x.sum(), x.mean(), x.sum(0), x.sum(1), x.mean(1), x[0].sum())]


@SAME
def gemm_in_float32(m: Any) -> Any:
    a, b, v = _data(m, (8, 50)), _data(m, (50, 6), 1), _data(m, (50,), 2)
    w, bias = _data(m, (6, 50), 3), _data(m, (6,), 4)
    return [t.float() for t in (a @ b, a @ v, v @ v, a[None] @ b[None], m.nn.functional.linear(a, w, bias),
                                m.nn.functional.linear(a, w), m.addmm(bias, a, b))]  # fmt: skip


@SAME
def softmax_and_loss(m: Any) -> Any:
    x, y = _data(m, (4, 5)), _data(m, (4, 5), 1)
    return [x.softmax(-1).float(), _data(m, (5, 1)).softmax(0).float(), m.nn.functional.mse_loss(x, y).float(),
            m.nn.functional.mse_loss(x, y, reduction="sum").float()]  # fmt: skip


@SAME
def log_softmax_cross_entropy_and_backward(m: Any) -> Any:
    out = []
    for shape, dim in (((4, 40), -1), ((30, 4), 0), ((6, 9), 1)):
        x = (_data(m, shape) * 2).requires_grad_()
        g = _data(m, shape, 1)
        y, ly = x.softmax(-1), x.log_softmax(dim)  # (softmax over a non-last dim: a known residue)
        (y * g).sum().backward(retain_graph=True)
        sg = x.grad.float()
        x.grad = None
        ly.backward(g)
        out += [ly.float(), sg, x.grad.float()]
    # (cross_entropy's nll_loss mean on bfloat16 is a known residue: only its grad is compared)
    logits = _data(m, (6, 5), 2).requires_grad_()
    m.nn.functional.cross_entropy(logits, m.tensor([0, 1, 2, 3, 4, 0])).backward()
    return [*out, logits.grad.float()]


@SAME
def backward_through_an_mlp(m: Any) -> Any:
    x = _data(m, (8, 5))
    w = _data(m, (6, 5), 1).requires_grad_()
    b = _data(m, (6,), 2).requires_grad_()
    w2 = _data(m, (1, 6), 3).requires_grad_()
    loss = m.nn.functional.mse_loss(m.relu(m.nn.functional.linear(x, w, b)) @ w2.t(), _data(m, (8, 1), 4))
    loss.backward()
    return [loss.float(), w.grad.float(), b.grad.float(), w2.grad.float(), str(w.grad.dtype), loss.grad_fn.name()]


@SAME
def sgd_momentum_steps_on_bfloat16_parameters(m: Any) -> Any:
    m.manual_seed(0)
    lin = m.nn.Linear(5, 3).bfloat16()
    opt = m.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    x, y = _data(m, (8, 5)), _data(m, (8, 3), 1)
    losses = []
    for _ in range(4):
        opt.zero_grad()
        loss = m.nn.functional.mse_loss(lin(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.float())
    return [*losses, lin.weight.float(), lin.bias.float(), str(lin.weight.dtype)]


@SAME
def adam_family_steps_on_bfloat16_parameters(m: Any) -> Any:
    out = []
    for make in (lambda ps: m.optim.Adam(ps, lr=0.01, weight_decay=0.1), lambda ps: m.optim.AdamW(ps, lr=0.01),
                 lambda ps: m.optim.Adam(ps, lr=0.01, amsgrad=True, maximize=True)):  # fmt: skip
        m.manual_seed(0)
        lin = m.nn.Linear(5, 40).to(m.bfloat16)  # 200 weights: the kernels' vector loops and their tails
        opt = make(lin.parameters())
        x, y = _data(m, (8, 5)), _data(m, (8, 40), 1)
        for _ in range(3):
            opt.zero_grad()
            loss = m.nn.functional.mse_loss(lin(x), y)
            loss.backward()
            opt.step()
            out.append(loss.float())
        out += [lin.weight.float(), lin.bias.float(), opt.state[lin.weight]["exp_avg_sq"].float()]
    return out


@SAME
def lerp_both_formulas(m: Any) -> Any:
    return [_data(m, (300,)).lerp(_data(m, (300,), 1), w).float() for w in (0.1, 0.3, 0.9)]


def _mlp(m: Any) -> Any:
    m.manual_seed(0)
    return m.nn.Sequential(m.nn.Linear(4, 8), m.nn.ReLU(), m.nn.Linear(8, 1))


@SAME
def autocast_forward_dtypes_and_nodes(m: Any) -> Any:
    model = _mlp(m)
    x, y = _data(m, (5, 4)).float(), _data(m, (5, 1), 1).float()
    with m.autocast("cpu", dtype=m.bfloat16):
        h = model[0](x)
        out = model(x)
        loss = m.nn.functional.mse_loss(out, y)
        inside = [m.is_autocast_enabled("cpu"), str(m.get_autocast_dtype("cpu")), str((x @ x.T).dtype),
                  str((x.double() @ x.double().T).dtype), str((out + 1).dtype), str(m.cat([out, y]).dtype),
                  str(m.nn.functional.cross_entropy(out.T, m.tensor([0])).dtype)]  # fmt: skip
    edges = [type(n).__name__ if n is not None else None for n, _ in h.grad_fn.next_functions]
    return [h.float(), out.float(), loss, str(h.dtype), str(loss.dtype), h.grad_fn.name(), edges, *inside,
            m.is_autocast_enabled("cpu")]  # fmt: skip


@SAME
def autocast_training_steps(m: Any) -> Any:
    model = _mlp(m)
    x, y = _data(m, (16, 4)).float(), _data(m, (16, 1), 1).float()
    opt = m.optim.AdamW(model.parameters(), lr=0.01)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        with m.autocast("cpu"):
            loss = m.nn.MSELoss()(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss)
    return [*losses, *(p.grad for p in model.parameters()), *model.parameters()]


@SAME
def autocast_cached_weight_cast(m: Any) -> Any:
    # a weight used twice in one region is cast once (torch's cast cache): one ToCopyBackward0 feeds both uses
    lin = m.nn.Linear(3, 3)
    x = _data(m, (2, 3)).float()
    with m.autocast("cpu"):
        out = lin(lin(x))
    out.sum().backward()
    inner = out.grad_fn.next_functions[1][0].next_functions[0][0]  # AddmmBackward0 -> the first linear's
    return [out.float(), lin.weight.grad, lin.bias.grad, type(inner).__name__]


test_bfloat16_against_torch = SAME.test()


def test_engine_bfloat16_is_ml_dtypes() -> None:
    assert engine.ones(2, dtype=engine.bfloat16)._data.dtype == np.dtype(ml_dtypes.bfloat16)
    assert engine.from_numpy(np.ones(2, dtype=ml_dtypes.bfloat16)).dtype is engine.bfloat16


@pytest.mark.parametrize("kind", ["bfloat16", "float16"])
def test_autocast_leaves_the_state_as_it_was(kind: str) -> None:
    with engine.autocast("cpu", dtype=getattr(engine, kind)):
        assert _autocast.LOWER[0] is getattr(engine, kind)
        with engine.autocast("cpu", enabled=False):
            assert _autocast.LOWER[0] is None
    assert _autocast.LOWER[0] is None and not _autocast._cache
