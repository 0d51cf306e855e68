"""Complex tensors (complex64, complex128) and their autograd, side by side with torch.

Every program runs on the engine and on torch 2.13 and the results are compared (values, dtypes, shapes,
requires_grad). Gradients follow torch's convention for complex autograd: a real loss gives a complex leaf the
conjugate Wirtinger derivative times 2 (``z.abs().sum()`` gives ``z / |z|``), formulas conjugate where
derivatives.yaml does, and a grad flowing from a complex result into a real input keeps its real part.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from tests.helpers import ProgramTable, assert_same_error, assert_same_result, run_both

SAME = ProgramTable(assert_same_result)

_RNG = np.random.default_rng(7)
A = _RNG.standard_normal((3, 3)) + 1j * _RNG.standard_normal((3, 3))
B = _RNG.standard_normal((3, 3)) + 1j * _RNG.standard_normal((3, 3))
X = _RNG.standard_normal((3, 3))
G = _RNG.standard_normal((3, 3)) + 1j * _RNG.standard_normal((3, 3))


def _leaf(m: Any, values: np.ndarray, dtype: str = "complex128") -> Any:
    return m.tensor(values, dtype=getattr(m, dtype), requires_grad=True)


# --------------------------------------------------------------------------- creation, promotion, printing
@SAME
def creation(m: Any) -> Any:
    return [m.tensor([1 + 2j, 3.5 - 1j]), m.tensor(1 + 2j), m.tensor([1, 2.5, 3j]),
            m.tensor([1 + 2j], dtype=m.complex128), m.zeros(2, dtype=m.cfloat), m.ones(2, 2, dtype=m.cdouble),
            m.full((2,), 1 + 1j), m.ones(1, dtype=m.cfloat).new_zeros(2)]  # fmt: skip


@SAME
def complex_linspace(m: Any) -> Any:
    rng = np.random.default_rng(1)
    out = [m.linspace(0, 1 + 1j, 3), m.linspace(1, 5, 6, dtype=m.complex128), m.linspace(1j, 2j, 1)]
    for n in (2, 7, 15, 16, 17, 40):  # torch: step per part, a fused multiply-add from the nearer end
        a, b = (complex(*rng.standard_normal(2) * 10) for _ in range(2))
        out += [m.linspace(a, b, n, dtype=m.complex64), m.linspace(a, b, n, dtype=m.complex128)]
    return out


@SAME
def complex_values_into_real_tensors(m: Any) -> Any:
    z = m.zeros(2)
    z[0] = 3 + 0j  # a zero imaginary part converts
    return [m.full((2,), 1 + 0j, dtype=m.float32), m.tensor([1 + 2j], dtype=m.bool), m.full((1,), 1j, dtype=m.bool),
            m.zeros(2, dtype=m.int64).fill_(2 + 0j), z]  # fmt: skip


@SAME
def promotion(m: Any) -> Any:
    f32, f64, c64, i64 = m.ones(2), m.ones(2, dtype=m.float64), m.ones(2, dtype=m.complex64), m.arange(2)
    return [str(t.dtype) for t in (f32 + c64, f64 + c64, i64 + c64, i64 + 1j, f64 * 1j, f32 * (2 - 1j),
                                   c64 * m.tensor(2.0, dtype=m.float64), m.cat([f32, c64]))] + [
        str(m.promote_types(m.float64, m.complex64)), str(m.result_type(f32, 1j))]  # fmt: skip


@SAME
def printing(m: Any) -> Any:
    return [repr(m.tensor([1 + 2j, 3.5 - 1j])), repr(m.tensor([1e10 + 1j, 1e-5 - 2j])),
            repr(m.tensor([complex(float("nan"), 1), complex(float("inf"), -float("inf"))])),
            repr(m.arange(6, dtype=m.float64).reshape(2, 3) * (1 + 1j)), repr(m.tensor(0.1 + 0.2j, dtype=m.cdouble)),
            repr(m.tensor([1 + 2j], requires_grad=True).conj())]  # fmt: skip


@SAME
def scalars(m: Any) -> Any:
    z = m.tensor([1 + 2j, 3 - 1j])
    return [m.tensor(1 + 2j).item(), z.tolist(), complex(m.tensor(1 + 2j)), float(m.tensor(2 + 0j)),
            z.is_complex(), m.is_complex(m.ones(1)), z.is_floating_point(), m.complex64.is_complex,
            m.complex64.to_real() == m.float32, m.float64.to_complex() == m.complex128]  # fmt: skip


@SAME
def random_draws(m: Any) -> Any:
    out = []
    for dtype in (m.complex64, m.complex128):
        for n in (4, 20):  # torch's normal kernel: the scalar path below 16 elements, blocks of 16 above
            m.manual_seed(3)
            out += [m.randn(n, dtype=dtype), m.rand(n, dtype=dtype), m.randn(5)]
    m.manual_seed(0)
    z = m.empty(3, dtype=m.complex64).normal_()
    return [*out, z, m.randn_like(z), m.rand_like(m.zeros(3, dtype=m.cdouble))]


@SAME
def pow_by_numbers(m: Any) -> Any:
    z = m.tensor([-1 + 0j, 1 + 1j, -2 - 0.5j])  # torch: sqrt/rsqrt/reciprocal kernels, products for 2, 3, -2
    return [z**e for e in (0.5, -0.5, -1, 2, 3, -2, 1.5)] + [2**z, m.tensor([-1 + 0j], dtype=m.cdouble) ** 0.5]


@SAME
def nan_and_inf(m: Any) -> Any:
    z = m.tensor([complex(float("nan"), 1), complex(float("inf"), -float("inf")), 1 + 1j])
    return [z.nan_to_num(), z.nan_to_num(nan=2.0, posinf=3.0), z.isnan(), z.isfinite(), z.isinf()]


# --------------------------------------------------------------------------- views: real, imag, conj
@SAME
def real_imag_views(m: Any) -> Any:
    z = m.tensor([1 + 2j, 3 + 4j])
    r = z.real
    r.mul_(10)  # a view: writes reach z
    z.imag[0] = -5
    w = m.tensor([1 + 2j, 3 + 4j])
    w.real = m.tensor([9.0, 8.0])  # the setter writes the real parts
    return [z, r, z.imag, r._base is z, z.real.stride(), w, m.real(m.tensor([1, 2])), m.view_as_real(w)]


@SAME
def conjugate_views(m: Any) -> Any:
    z = m.tensor([1 + 2j, -3 + 0.5j])
    c = z.conj()
    return [
        c,
        c.is_conj(),
        c.conj().is_conj(),
        c.resolve_conj().is_conj(),
        c.imag,
        z.conj_physical(),
        z.conj_physical().is_conj(),
        m.ones(2).conj().is_conj(),
        c.is_neg(),
        m.view_as_real(c.resolve_conj()),
    ]


@SAME
def complex_math(m: Any) -> Any:
    z = m.tensor(A)
    return [
        z.abs(),
        z.angle(),
        m.sgn(m.tensor([3 + 4j, 0j])),
        z.sum(),
        z.mean(),
        z @ z,
        z.exp(),
        z.sqrt(),
        z.reciprocal(),
        z**2,
        z / m.tensor(B),
        z.mH,
        m.dot(z[0], z[1]),
        m.vdot(z[0], z[1]),
        m.polar(m.tensor(X), m.tensor(X)),
        m.complex(m.tensor(X), m.tensor(X)),
        m.angle(m.tensor([-1.0, 2.0])),
    ]


# --------------------------------------------------------------------------- autograd
def _grads(m: Any, f: Any, inputs: list[np.ndarray], cot: Any) -> Any:
    """f's output, the grads of every input against the cotangent ``cot``, and the grads of the squared
    magnitudes of those grads (a second derivative through every backward formula)."""
    xs = [_leaf(m, a, "complex128" if np.iscomplexobj(a) else "float64") for a in inputs]
    out = f(m, *xs)
    gs = m.autograd.grad(out, xs, m.tensor(cot, dtype=out.dtype), create_graph=True)
    live = [g for g in gs if g.requires_grad]  # a linear op's grads are constants
    second = m.autograd.grad(sum((g.abs() ** 2).sum() for g in live), xs, allow_unused=True) if live else ()
    return [out, type(out.grad_fn).__name__, *gs, *second]


GRAD_CASES = {
    "mul": (lambda m, a, b: a * b, [A, B], G),
    "mul_real_input": (lambda m, a, b: a * b, [A, X], G),
    "mul_complex_scalar": (lambda m, a: a * (1 + 2j), [X], G),
    "div": (lambda m, a, b: a / b, [A, B], G),
    "rdiv": (lambda m, a: 2 / a, [A], G),
    "pow": (lambda m, a: a.pow(3), [A], G),
    "pow_tensor": (lambda m, a, b: a.pow(b), [A, B], G),
    "exp": (lambda m, a: a.exp(), [A], G),
    "log": (lambda m, a: a.log(), [A], G),
    "sqrt": (lambda m, a: a.sqrt(), [A], G),
    "sin": (lambda m, a: a.sin(), [A], G),
    "tanh": (lambda m, a: a.tanh(), [A], G),
    "sigmoid": (lambda m, a: a.sigmoid(), [A], G),
    "abs": (lambda m, a: a.abs(), [A], X),
    "sgn": (lambda m, a: a.sgn(), [A], G),
    "angle": (lambda m, a: a.angle(), [A], X),
    "real": (lambda m, a: a.real * 3, [A], X),
    "imag": (lambda m, a: a.imag * 3, [A], X),
    "conj": (lambda m, a, b: a.conj() * b, [A, B], G),
    "prod": (lambda m, a: a.prod(0), [A], G[0]),
    "mm": (lambda m, a, b: a @ b, [A, B], G),
    "mv": (lambda m, a, b: a @ b, [A, A[0]], G[0]),
    "vdot": (lambda m, a, b: m.vdot(a, b) * 1, [A[0], B[0]], 1 + 2j),
    "addmm": (lambda m, a, b: m.addmm(a, a, b, beta=1 - 1j, alpha=2j), [A, B], G),
    "det": (lambda m, a: m.linalg.det(a), [A], 1 - 1j),
    "inv": (lambda m, a: m.linalg.inv(a), [A], G),
    "polar": (lambda m, a, b: m.polar(a, b), [X, X], G),
    "complex": (lambda m, a, b: m.complex(a, b), [X, X], G),
    "view_as_real": (lambda m, a: m.view_as_real(a), [A], np.stack([X, X], -1)),
    "view_as_complex": (lambda m, a: m.view_as_complex(a), [np.stack([X, X], -1)], G),
    "cast_real_to_complex": (lambda m, a: a.to(m.complex128) * (1 + 1j), [X], G),
    "expand": (lambda m, a: a.expand(2, 3, 3) * a, [A], np.stack([G, G])),
    "cumprod": (lambda m, a: a.cumprod(1), [A], G),
    "lerp_tensor_weight": (lambda m, a, b: m.lerp(a, b, b), [A, B], G),
    "cross": (lambda m, a, b: m.linalg.cross(a, b), [A, B], G),
    "vecdot": (lambda m, a, b: m.linalg.vecdot(a, b), [A, B], G[0]),
    "vector_norm_1": (lambda m, a: m.linalg.vector_norm(a, 1), [A], 1.3),
    "number_to_the_tensor": (lambda m, a: (1 + 1j) ** a, [A], G),
    "solve": (lambda m, a, b: m.linalg.solve(a, b), [A, B], G),
    "solve_vector": (lambda m, a, b: m.linalg.solve(a, b), [A, B[0]], G[0]),
    "cholesky": (lambda m, a: m.linalg.cholesky(a @ a.mH + 3 * m.eye(3, dtype=a.dtype)), [A], G),
    "qr_r": (lambda m, a: m.linalg.qr(a)[1], [A], G),
    "eigvalsh": (lambda m, a: m.linalg.eigvalsh(a @ a.mH), [A], X[0]),
    "svdvals": (lambda m, a: m.linalg.svdvals(a), [A], X[0]),
    "pinv": (lambda m, a: m.linalg.pinv(a), [A], G),
    "lstsq": (lambda m, a, b: m.linalg.lstsq(a, b).solution, [A, B], G),
    "slogdet": (lambda m, a: m.linalg.slogdet(a)[1], [A], 1.5),
    "logdet": (lambda m, a: m.logdet(a), [A @ A.conj().T + 3 * np.eye(3)], 1 + 0.5j),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_gradients(name: str) -> None:
    f, inputs, cot = GRAD_CASES[name]
    assert_same_result(lambda m: _grads(m, f, inputs, cot))


@SAME
def real_loss_of_complex_leaf(m: Any) -> Any:
    z = _leaf(m, np.array([3 + 4j, 1 - 1j]))
    z.abs().sum().backward()  # torch's convention: z / |z|
    w = _leaf(m, np.array([1 + 2j, 0.5 - 1j]))
    (w * w.conj()).real.sum().backward()  # 2 w
    x = m.tensor([1.0, 2.0], requires_grad=True)
    v = _leaf(m, np.array([1 + 1j, 2 - 1j]))
    ((x * v).abs() ** 2).sum().backward()  # the real input keeps the real part
    return [z.grad, w.grad, x.grad, v.grad]


@SAME
def node_names(m: Any) -> Any:
    z = _leaf(m, np.array([1 + 2j]))
    x = m.tensor([1.0, 2.0], requires_grad=True)
    nodes = [z.real.grad_fn, z.imag.grad_fn, z.real.grad_fn.next_functions[0][0], z.conj().grad_fn,
             z.conj().resolve_conj().grad_fn, z.conj_physical().grad_fn, m.view_as_real(z).grad_fn, z.abs().grad_fn,
             z.angle().grad_fn, m.polar(x, x).grad_fn, m.complex(x, x).grad_fn, x.cfloat().grad_fn,
             m.view_as_complex(x.reshape(1, 2)).grad_fn]  # fmt: skip
    return [type(n).__name__ for n in nodes] + [x.real is x, x.conj() is x, z.resolve_neg() is z]


@SAME
def phase_invariant_decompositions(m: Any) -> Any:
    """Losses that do not depend on the factors' phases: their grads are defined, whatever LAPACK picks."""
    a = _leaf(m, A)
    q, r = m.linalg.qr(a)
    q2, r2 = m.linalg.qr(a[:2])  # a wide matrix
    u, s, vh = m.linalg.svd(a[:, :2], full_matrices=False)
    sign, logabs = m.linalg.slogdet(a)
    w = m.tensor(X)
    losses = [(q.abs() ** 2 * w).sum() + (r.abs() ** 2).sum(), (q2.abs() ** 2 * w[:2, :2]).sum() + r2.abs().sum(),
              (u.abs() ** 2 * w[:, :2]).sum() + s.sum() + (vh.abs() ** 3).sum(),
              (sign * m.tensor(1 - 2j)).real + logabs * 0.7]  # fmt: skip
    return [s, logabs, sign, *(m.autograd.grad(loss, a)[0] for loss in losses)]


@SAME
def eigenvalues(m: Any) -> Any:
    a = _leaf(m, X, "float64")
    vals = m.linalg.eigvals(a)
    (g,) = m.autograd.grad((vals * m.tensor(G[0])).real.sum(), a)
    w, v = m.linalg.eig(a)
    # a loss invariant to each eigenvector's phase: its grad is defined, and the same whatever the phases
    (g2,) = m.autograd.grad((v.abs() ** 2 * m.tensor(X)).sum() + w.real.sum(), a)
    return [vals, w, v.abs(), g, g2, type(vals.grad_fn).__name__]


# --------------------------------------------------------------------------- what torch refuses
ERRORS = {
    "imag_of_real": lambda m: m.imag(m.ones(2)),
    "view_as_real_of_real": lambda m: m.view_as_real(m.ones(2)),
    "view_as_complex_last_dim": lambda m: m.view_as_complex(m.ones(3, 3)),
    "view_as_complex_stride": lambda m: m.view_as_complex(m.ones(2, 3).t()),
    "view_as_complex_offset": lambda m: m.view_as_complex(m.ones(3, 4)[:, 1:3]),
    "view_as_complex_long": lambda m: m.view_as_complex(m.ones(3, 2, dtype=m.int64)),
    "complex_mixed_dtypes": lambda m: m.complex(m.ones(2), m.ones(2, dtype=m.float64)),
    "complex_of_ints": lambda m: m.complex(m.ones(2, dtype=m.int32), m.ones(2, dtype=m.int32)),
    "polar_not_tensor": lambda m: m.polar(m.ones(2), 1),
    "sign_of_complex": lambda m: m.sign(m.tensor([1j])),
    "lt": lambda m: m.tensor([1j]) < m.tensor([1j]),
    "max": lambda m: m.tensor([1j]).max(),
    "max_dim": lambda m: m.tensor([1j]).max(0),
    "amax": lambda m: m.tensor([1j]).amax(),
    "argmax": lambda m: m.tensor([1j]).argmax(),
    "maximum": lambda m: m.maximum(m.tensor([1j]), m.tensor([1j])),
    "clamp": lambda m: m.tensor([1j]).clamp(0, 1),
    "clamp_min": lambda m: m.tensor([1j]).clamp_min(0),
    "floor": lambda m: m.tensor([1j]).floor(),
    "relu": lambda m: m.tensor([1j]).relu(),
    "int_of_complex": lambda m: int(m.tensor(1 + 2j)),
    "float_of_complex": lambda m: float(m.tensor(1 + 2j)),
    "eig_not_square": lambda m: m.linalg.eig(m.ones(3, 4)),
    "eig_of_ints": lambda m: m.linalg.eig(m.ones(3, 3, dtype=m.int64)),
    "eig_nan": lambda m: m.linalg.eig(m.full((2, 2), float("nan"))),
    "tensor_complex_as_float": lambda m: m.tensor([1j, 2], dtype=m.float32),
    "tensor_complex_as_int": lambda m: m.tensor([1 + 0j], dtype=m.int64),
    "full_complex_into_float": lambda m: m.full((2,), 1j, dtype=m.float32),
    "full_complex_into_int32": lambda m: m.full((2,), 1j, dtype=m.int32),
    "fill_complex_into_double": lambda m: m.zeros(2, dtype=m.float64).fill_(1 + 2j),
    "setitem_complex_into_float": lambda m: m.zeros(2).__setitem__(0, 1j),
    "inplace_abs": lambda m: m.tensor([1j]).abs_(),
    "view_as_real_of_conjugate_view": lambda m: m.view_as_real(m.tensor([1j]).conj()),
    "arange_complex": lambda m: m.arange(3, dtype=m.complex64),
    "numpy_of_conjugate_view": lambda m: m.tensor([1j]).conj().numpy(),
    "silu_has_no_complex_derivative": lambda m: m.nn.functional.silu(_leaf(m, A)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors(name: str) -> None:
    assert_same_error(ERRORS[name])


def test_phase_dependent_eigenvector_loss_is_refused() -> None:
    """torch refuses a loss that depends on the eigenvectors' arbitrary phases (imag(diag(V^H gV)) not ~0)."""

    def run(m: Any) -> Any:
        a = _leaf(m, X, "float64")
        _, v = m.linalg.eig(a)
        return m.autograd.grad((v * m.tensor(G)).real.sum(), a)

    assert_same_error(run)


def test_complex_to_real_casts_warn_once_and_keep_the_real_part() -> None:
    """torch warns "Casting complex values to real discards the imaginary part" once per process (its
    TORCH_WARN_ONCE), for .to() and copy_ alike; both sides run the same programs, so they warn alike."""

    def run(m: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            values = [m.tensor([1 + 2j, -3 - 4j]).to(m.float32), m.zeros(2).copy_(m.tensor([1 + 2j, -3 - 4j]))]
        texts = [str(w.message).split(" (Triggered")[0] for w in caught if w.category is UserWarning]
        return [v.tolist() for v in values], texts

    got, want = run_both(run)
    assert got == want


test_same = SAME.test()
