"""Special functions: erfinv, lgamma, digamma, polygamma, Bessel i0/i1, logit, xlogy, ndtr ... (torch.special).

Values are NumPy ports of ATen's kernels (aten/src/ATen/native/Math.h, mostly after Cephes): digamma, trigamma,
polygamma (through the Hurwitz zeta), erfinv, erfc / erfcx / log_ndtr / ndtri (ops/error_functions.py) and
i0e / i1 / i1e (ops/bessel.py), evaluated in the input's precision where torch's float kernels are. lgamma uses
SciPy's gammaln when installed and ``math.lgamma`` per element otherwise (torch calls libm's lgamma).
Backward formulas are torch's derivatives.yaml entries, written with engine ops.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd import grad_mode
from ..autograd.graph import Node
from ..tensor import Tensor
from . import pointwise as P
from ._blocks import blockwise
from ._branches import select
from ._incomplete_gamma import igamma_values, igammac_values
from ._util import (
    array_module,
    binary_arrays,
    grad_recording,
    invalid_combination,
    needs,
    on_host,
    record,
    record_saving,
    record_with,
)
from .bessel import _i0e_values, _i1_values, _i1e_values
from .error_functions import _erfc_values, _erfcx_values, _erfinv_values, _log_ndtr_values, _ndtri_values
from .inplace import inplace_method

try:
    import scipy.special as _sp  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised only where SciPy is missing
    _sp = None


def _lgamma_values(xp: Any, a: Any) -> Any:
    if _sp is not None:
        return select(a == -np.inf, np.inf, _sp.gammaln(a))  # torch: lgamma(-inf) = inf

    def one(v: float) -> float:  # pragma: no cover
        try:
            return math.lgamma(v)
        except ValueError:  # a pole: torch gives +inf
            return math.inf

    return np.vectorize(one, otypes=[a.dtype])(a)  # pragma: no cover


def _entr_values(a: Any) -> Any:
    # -x log x for x > 0, 0 at 0, -inf below; NaN stays NaN
    pos = -a * np.log(select(a > 0, a, 1))
    return select(np.isnan(a), a, select(a > 0, pos, select(a == 0, 0, -np.inf)))


def _polevl(x: Any, coefs: tuple[float, ...]) -> Any:
    """Cephes polevl: Horner's rule, coefficients highest power first, in ``x``'s dtype (torch's float kernels
    keep float constants, so the arithmetic and rounding follow torch's float32 path)."""
    dt = x.dtype.type
    result = np.zeros_like(x)
    for c in coefs:
        result = result * x + dt(c)
    return result


_DIGAMMA_A = (
    8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3, -4.16666666666666666667e-3,
    3.96825396825396825397e-3, -8.33333333333333333333e-3, 8.33333333333333333333e-2,
)  # fmt: skip


def _digamma_values(xp: Any, a: Any) -> Any:
    """ATen's calc_digamma (Math.h, from Cephes), vectorised, in the input's precision: reflection for x < 0
    (pi / tan(pi * frac(x)) in double, as torch), the recurrence up to 10, then the asymptotic series."""
    dt = a.dtype.type
    neg = a < 0
    frac = np.modf(a.astype(np.float64))[0]
    reflection = (math.pi / np.tan(math.pi * frac)).astype(a.dtype)
    x = select(neg, dt(1) - a, a)
    result = np.zeros_like(x)
    below = x < 10
    while below.any():
        result = select(below, result - dt(1) / x, result)
        x = select(below, x + dt(1), x)
        below = x < 10
    z = dt(1) / (x * x)
    y = select(x < dt(1e17), z * _polevl(z, _DIGAMMA_A), dt(0))
    value = select(x == 10, result + dt(2.25175258906672110764), result + np.log(x) - dt(0.5) / x - y)
    value = select(neg, value - reflection, value)
    value = select(neg & (a == np.trunc(a)), np.nan, value)  # negative integers (and -inf): NaN
    return select(a == 0, np.copysign(np.inf, -a), value).astype(a.dtype, copy=False)


# --------------------------------------------------------------------------- backward nodes
class ErfinvBackward0(Node):
    # self: 0.5 * sqrt(M_PI) * exp(self.erfinv().pow(2)) * grad
    def apply(self, grad: Tensor) -> tuple:
        return (P.exp(erfinv(self.saved("self")) ** 2) * (0.5 * math.sqrt(math.pi)) * grad,)


class ErfcBackward0(Node):
    # self: -2.0 / sqrt(M_PI) * exp(-(self.pow(2))) * grad
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        return (P.exp(-(s * s)) * (-2.0 / math.sqrt(math.pi)) * grad,)


class LgammaBackward0(Node):
    # self: grad * digamma(self)
    def apply(self, grad: Tensor) -> tuple:
        return (grad * digamma(self.saved("self")),)


class DigammaBackward0(Node):
    # self: grad * polygamma(1, self)
    def apply(self, grad: Tensor) -> tuple:
        return (grad * polygamma(1, self.saved("self")),)


class PolygammaBackward0(Node):
    # self: grad * polygamma(n + 1, self)
    def apply(self, grad: Tensor) -> tuple:
        return (grad * polygamma(self.n + 1, self.saved("self")),)


class I0Backward0(Node):
    # self: grad * at::special_i1(self)
    def apply(self, grad: Tensor) -> tuple:
        return (grad * i1(self.saved("self")),)


class SpecialI0EBackward0(Node):
    # self: grad * (at::special_i1e(self) - self.sgn() * self.special_i0e())
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        return (grad * (i1e(s) - P.sgn(s) * i0e(s)),)


def _safe_self(s: Tensor) -> tuple[Tensor, Tensor]:
    """i1_backward / i1e_backward's guard: where |self| <= eps, self is replaced by eps (and the gradient by 0.5),
    so that neither branch of the ``where`` produces NaN in double backward."""
    eps = float(D.np_finfo(s._data.dtype).eps)
    not_tiny = Tensor._make(np.abs(s._data) > eps)
    return not_tiny, P.where(not_tiny, s, eps)


class SpecialI1Backward0(Node):
    # self: i1_backward(grad, self, result):
    #   safe_self = where(|self| > eps, self, eps); gradx = safe_self.i0() - result * safe_self.reciprocal()
    #   grad * where(|self| > eps, gradx, 0.5)
    def apply(self, grad: Tensor) -> tuple:
        s, r = self.saved("self"), self.saved("result")
        not_tiny, safe = _safe_self(s)
        return (grad * P.where(not_tiny, i0(safe) - r * P.reciprocal(safe), 0.5),)


class SpecialI1EBackward0(Node):
    # self: i1e_backward(grad, self, result):
    #   gradx = special_i0e(safe_self) - result * (safe_self.sgn() + safe_self.reciprocal())
    #   grad * where(|self| > eps, gradx, 0.5)
    def apply(self, grad: Tensor) -> tuple:
        s, r = self.saved("self"), self.saved("result")
        not_tiny, safe = _safe_self(s)
        return (grad * P.where(not_tiny, i0e(safe) - r * (P.sgn(safe) + P.reciprocal(safe)), 0.5),)


class SincBackward0(Node):
    # self: sinc_backward(grad, self)
    #   = ((M_PI * self * (M_PI * self).cos() - (M_PI * self).sin()) / (M_PI * self * self)).masked_fill_(self == 0, 0)
    #     * grad
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        ps = s * math.pi
        out = (ps * P.cos(ps) - P.sin(ps)) / (ps * s)
        return (P.where(Tensor._make(s._data == 0), 0.0, out) * grad,)


class SpecialEntrBackward0(Node):
    # self: grad * (-(1 + self.log()))
    def apply(self, grad: Tensor) -> tuple:
        return (grad * (-(1 + P.log(self.saved("self")))),)


class SpecialLogNdtrBackward0(Node):
    # self: grad / std::sqrt(2 * M_PI) * (result + self.pow(2) / 2).neg().exp()
    def apply(self, grad: Tensor) -> tuple:
        s, r = self.saved("self"), self.saved("result")
        return (grad / math.sqrt(2 * math.pi) * P.exp(-(r + s**2 / 2)),)


class SpecialNdtriBackward0(Node):
    # self: grad * std::sqrt(2 * M_PI) * (result.square() / 2).exp()
    def apply(self, grad: Tensor) -> tuple:
        r = self.saved("result")
        return (grad * math.sqrt(2 * math.pi) * P.exp(r * r / 2),)


class SpecialErfcxBackward0(Node):
    # self: (2.0 * self * result - 2.0 / sqrt(M_PI)) * grad
    def apply(self, grad: Tensor) -> tuple:
        s, r = self.saved("self"), self.saved("result")
        return ((s * r * 2.0 - 2.0 / math.sqrt(math.pi)) * grad,)


class Exp2Backward0(Node):
    # self: grad * result.conj() * M_LN2
    def apply(self, grad: Tensor) -> tuple:
        return (grad * self.saved("result") * math.log(2.0),)


# --------------------------------------------------------------------------- unary ops
def _unary(name: str, fn: Any, node_cls: type, save: tuple[str, ...], half_kernel: str | None = None) -> Any:
    """An elementwise op on floating values (integers and bools give the default float dtype).

    ``half_kernel``: the CPU kernel's name for ops torch does not compile for Half.
    """

    def op(input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        if half_kernel and input._data.dtype == np.float16:
            raise NotImplementedError(f"\"{half_kernel}\" not implemented for 'Half'")
        dt = D.to_float(D._FROM_NUMPY[input._data.dtype])
        out = Tensor._make(P._unary_compute(input, dt, fn))
        if grad_recording(input):
            node = node_cls()
            record(node, out, input)
            if "self" in save:
                node.save("self", input)
            if "result" in save:
                node.save("result", out, is_output=True)
        return out

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}, elementwise."
    return op


def _blocked(kernel: Any) -> Any:
    """A host kernel ``kernel(np, array)`` run block by block over a large array (ops/_blocks.py)."""
    return lambda xp, a: blockwise(lambda block: kernel(xp, block), a)


_SELF, _RESULT, _BOTH = ("self",), ("result",), ("self", "result")
erfinv = _unary("erfinv", on_host(_erfinv_values), ErfinvBackward0, _SELF)
erfc = _unary("erfc", on_host(_erfc_values), ErfcBackward0, _SELF)
erfcx = _unary("erfcx", on_host(_erfcx_values), SpecialErfcxBackward0, _BOTH, "erfcx_cpu")
lgamma = _unary("lgamma", _lgamma_values, LgammaBackward0, _SELF)
digamma = _unary("digamma", on_host(_digamma_values), DigammaBackward0, _SELF)
i0 = _unary("i0", lambda xp, a: np.i0(a), I0Backward0, _SELF)
i0e = _unary("i0e", on_host(_blocked(_i0e_values)), SpecialI0EBackward0, _SELF)
i1 = _unary("i1", on_host(_blocked(_i1_values)), SpecialI1Backward0, _BOTH)
i1e = _unary("i1e", on_host(_blocked(_i1e_values)), SpecialI1EBackward0, _BOTH)
sinc = _unary("sinc", lambda xp, a: np.sinc(a), SincBackward0, _SELF)
entr = _unary("entr", lambda xp, a: _entr_values(a), SpecialEntrBackward0, _SELF)
log_ndtr = _unary("log_ndtr", on_host(_log_ndtr_values), SpecialLogNdtrBackward0, _BOTH, "log_ndtr_cpu")
ndtri = _unary("ndtri", on_host(_ndtri_values), SpecialNdtriBackward0, _RESULT, "ndtri_cpu")
exp2 = _unary("exp2", lambda xp, a: np.exp2(a), Exp2Backward0, _RESULT)


def _trigamma_values(a: Any) -> Any:
    """torch's trigamma (Math.h): reflection below 0.5, six recurrence steps, then the asymptotic series, in the
    input's precision (the float overload uses sinf and float constants), so polygamma(1, x) and digamma's
    gradient carry torch's rounding."""
    dt = a.dtype.type
    pi = dt(math.pi)
    reflect = a < dt(0.5)
    sin_pi_x = np.sin(pi * a)
    result = select(reflect, -(pi * pi) / (sin_pi_x * sin_pi_x), dt(0))
    x = select(reflect, dt(1) - a, a)
    for _ in range(6):
        result = result + dt(1) / (x * x)
        x = x + dt(1)
    ixx = dt(1) / (x * x)
    series = dt(1) + dt(1) / (dt(2) * x) + ixx * (dt(1 / 6) - ixx * (dt(1 / 30) - ixx * dt(1 / 42)))
    result = result + series / x
    return select(reflect, -result, result).astype(a.dtype, copy=False)


_ZETA_A = (
    12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
    -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15, 1.8152105401943546773e17,
    -7.1661652561756670113e18,
)  # fmt: skip
_MACHEP = 1.11022302462515654042e-16


def _zeta_values(x: Any, q: Any) -> Any:
    """ATen's zeta (Math.h, from Cephes): the Hurwitz zeta function by direct summation of (q + i)^-x until the
    terms are negligible (at least 9 terms, up to q + i > 9), then the Euler-Maclaurin tail. Computed in float64:
    torch's accumulate type for float on CPU is double, and the result is rounded once to the input's dtype."""
    x, q = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(q, np.float64))
    xf, qf = x.ravel(), q.ravel()
    out = np.full(xf.shape, np.nan)
    pole = (qf <= 0) & (qf == np.floor(qf))
    bad_x = (qf <= 0) & ~pole & (xf != np.floor(xf))
    run = ~(xf <= 1) & ~pole & ~bad_x & ~np.isnan(xf)  # NaN x gives NaN
    out[pole] = np.inf
    out[xf == 1] = np.inf
    out[(xf < 1) | bad_x] = np.nan
    # the summation, each element leaving when its term is negligible or the direct part is done
    idx = np.flatnonzero(run)
    xa, a = xf[idx], qf[idx]
    s = np.power(a, -xa)
    b = np.zeros_like(s)
    i = 0
    tail_idx, tail = [], []
    while idx.size:
        i += 1
        a = a + 1
        b = np.power(a, -xa)
        s = s + b
        small = (-_MACHEP * s < b) & (b < _MACHEP * s)
        # integer indices, not boolean masks: NumPy's boolean indexing is slow on scattered masks
        hit = np.flatnonzero(small)
        out[idx[hit]] = s[hit]
        if i < 9:  # every element goes on (the direct part runs at least 9 terms)
            go_on = np.flatnonzero(~small)
        else:
            more = a <= 9
            go_on = np.flatnonzero(~small & more)
            leave = np.flatnonzero(~small & ~more)
            tail_idx.append(idx[leave])
            tail.append((xa[leave], a[leave], b[leave], s[leave]))
        idx, xa, a, b, s = idx[go_on], xa[go_on], a[go_on], b[go_on], s[go_on]
    if tail_idx:
        idx = np.concatenate(tail_idx)
        xa, w, b, s = (np.concatenate([t[j] for t in tail]) for j in range(4))
        s = s + b * w / (xa - 1)
        s = s - 0.5 * b
        a = np.ones_like(s)
        k = np.zeros_like(s)
        done = np.zeros(s.shape, dtype=bool)
        for coef in _ZETA_A:
            a = a * (xa + k)
            b = b / w
            t = a * b / coef
            s = select(done, s, s + t)
            done = done | (np.abs(t / s) < _MACHEP)
            k = k + 1
            a = a * (xa + k)
            b = b / w
            k = k + 1
        out[idx] = s
    return out.reshape(x.shape)


class _ZetaBackward(Node):
    # special_zeta:              self: not_implemented("zeta"); other: grad * -self * special_zeta(self + 1., other)
    # special_zeta.self_scalar:  other: grad * -self * special_zeta(self.toDouble() + 1., other)
    # special_zeta.other_scalar: self: not_implemented("zeta")
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self") if self._saved and "self" in self._saved else self.self_scalar
        grads: list[Any] = []
        if isinstance(s, Tensor):
            if needs(self, 0):
                raise NotImplementedError("the derivative for 'zeta' is not implemented.")
            grads.append(None)
        if self._saved and "other" in self._saved:
            o = self.saved("other")
            grads.append(grad * -s * zeta(s + 1.0, o) if needs(self, len(grads)) else None)
        return tuple(grads)


SpecialZetaBackward0 = type("SpecialZetaBackward0", (_ZetaBackward,), {})
SpecialZetaBackward1 = type("SpecialZetaBackward1", (_ZetaBackward,), {})
SpecialZetaBackward2 = type("SpecialZetaBackward2", (_ZetaBackward,), {})


def zeta(input: Any, other: Any) -> Tensor:
    """torch.special.zeta(x, q): the Hurwitz zeta function sum_k (k + q)^-x."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise invalid_combination("special_zeta", input, other)
    x, q, dt = binary_arrays(input, other)
    if dt.category < 2:
        dt = D.get_default_dtype()
    with np.errstate(all="ignore"):
        out = Tensor._make(on_host(lambda xp, x, q: _zeta_values(x, q).astype(dt.np))(array_module(x), x, q))
    if grad_recording(input, other):
        both = isinstance(input, Tensor) and isinstance(other, Tensor)
        node = (
            SpecialZetaBackward0()
            if both
            else SpecialZetaBackward1()
            if isinstance(other, Tensor)
            else SpecialZetaBackward2()
        )
        record(node, out, *[t for t in (input, other) if isinstance(t, Tensor)])
        if isinstance(input, Tensor):
            node.save("self", input)
        else:
            node.self_scalar = input
        if isinstance(other, Tensor):
            node.save("other", other)
    return out


def _polygamma_values(n: int, a: Any) -> Any:
    """ATen's calc_polygamma for n >= 2: (-1)^(n+1) * exp(lgamma(n + 1)) * zeta(n + 1, x), with the factorial
    computed as the kernel does in the input's precision (float: lgammaf then expf) and zeta in double."""
    dt = a.dtype.type
    factorial = dt(math.exp(float(dt(math.lgamma(n + 1)))))
    z = _zeta_values(np.float64(n + 1), a).astype(a.dtype)
    return (dt(1) if n % 2 else dt(-1)) * factorial * z


def polygamma(n: int, input: Tensor) -> Tensor:
    """torch.polygamma: the n-th derivative of digamma (n = 0 is digamma itself)."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return digamma(input)
    fn = on_host((lambda xp, a: _trigamma_values(a)) if n == 1 else (lambda xp, a: _polygamma_values(n, a)))
    dt = D.to_float(D._FROM_NUMPY[input._data.dtype])
    out = Tensor._make(P._unary_compute(input, dt, fn))
    if grad_recording(input):
        record_saving(PolygammaBackward0(), out, {"self": input}, n=n)
    return out


class MulBackward1(Node):
    # mul.Scalar: self: mul_tensor_backward(grad, other, self.scalar_type()) = grad * other
    def apply(self, grad: Tensor) -> tuple:
        return (grad * self.other,)


class AddBackward1(Node):
    # add.Scalar: self: handle_r_to_c(self.scalar_type(), grad)
    def apply(self, grad: Tensor) -> tuple:
        return (grad,)


class DivBackward1(Node):
    # div.Scalar (torch's C++ ``div_(numel)``, ``/ 2.``): self: grad / other
    def apply(self, grad: Tensor) -> tuple:
        return (_div_scalar(grad, self.other),)


def _div_scalar(t: Tensor, other: float) -> Tensor:
    """``t / other`` for a Python number, recorded as torch's DivBackward1 (the Scalar overload)."""
    dt = D.to_float(D._FROM_NUMPY[t._data.dtype]).np  # true division: integers give the default float dtype
    out = Tensor._make((t._data / dt.type(other)).astype(dt, copy=False))
    if grad_recording(t):
        record_with(DivBackward1(), out, t, other=other)
    return out


def _scalar_op(node_cls: type, t: Tensor, value: float) -> Tensor:
    """``t * value`` / ``t + value`` with a C++ Scalar operand (torch's Scalar overloads, Backward1 nodes)."""
    is_mul = node_cls is MulBackward1
    a = t._data
    dt = D.result_type(t, value).np  # an integer tensor times a float is the default float dtype
    out = Tensor._make((a * value if is_mul else a + value).astype(dt, copy=False))
    if grad_recording(t):
        record_with(node_cls(), out, t, other=value)
    return out


def ndtr(input: Tensor) -> Tensor:
    """torch.special.ndtr, composed as torch composes it: (1 + erf(x * M_SQRT1_2)) * 0.5."""
    if input._data.dtype.kind not in "fc":
        input = input.to(D.get_default_dtype())  # noqa: A001 - torch promotes integers first
    inner = P.erf(_scalar_op(MulBackward1, input, math.sqrt(0.5)))
    return _scalar_op(MulBackward1, _scalar_op(AddBackward1, inner, 1.0), 0.5)


# --------------------------------------------------------------------------- logit
class LogitBackward0(Node):
    # self: GradMode::is_enabled() ? infinitely_differentiable_logit_backward(grad, self, eps)
    #                              : logit_backward(grad, self, eps)
    #   = grad / (self * (1 - self)), zeroed outside [eps, 1 - eps] when eps is given
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        g = grad / (s * (1 - s))
        if self.eps is None:
            return (g,)
        out = Tensor._make((s._data < self.eps) | (s._data > 1 - self.eps))
        return (P.where(out, 0.0, g),)


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """torch.logit: log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given."""
    dt = D.to_float(D._FROM_NUMPY[input._data.dtype])

    def fn(xp: Any, a: Any) -> Any:
        if eps is not None:
            # torch's kernel: x < lo ? lo : (x > hi ? hi : x), so with eps > 0.5 (lo > hi) small values take lo
            # (np.clip would give hi everywhere)
            lo, hi = a.dtype.type(eps), a.dtype.type(1 - eps)
            a = select(a < lo, lo, select(a > hi, hi, a))
        return np.log(a / (1 - a))

    out = Tensor._make(P._unary_compute(input, dt, fn))
    if grad_recording(input):
        record_saving(LogitBackward0(), out, {"self": input}, eps=eps)
    return out


# --------------------------------------------------------------------------- xlogy / xlog1py
def _xlogy_values(x: Any, y: Any) -> Any:
    # 0 * log(y) is 0 unless y is NaN
    return select((x == 0) & ~np.isnan(y), 0, x * np.log(y))


def _xlog1py_values(x: Any, y: Any) -> Any:
    return select((x == 0) & ~np.isnan(y), 0, x * np.log1p(y))


class _XlogyLike(Node):
    # xlogy:   self: grad * at::xlogy((self != 0), other);   other: grad * self / other
    # xlog1py: self: grad * at::special_xlog1py((self != 0), other);   other: grad * self / (other + 1)
    # Backward1 has a scalar self, Backward2 a scalar other; both keep the scalar on the node.
    op: Any = None
    shift = 0

    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self") if "self" in (self._saved or {}) else self.self_scalar
        o = self.saved("other") if "other" in (self._saved or {}) else self.other_scalar
        grads = []
        if isinstance(s, Tensor):
            # torch computes this factor in the grad's dtype even for a Python-number ``other``
            nonzero = (s != 0).to(grad.dtype)
            grads.append(grad * type(self).op(nonzero, o) if needs(self, len(grads)) else None)
        if isinstance(o, Tensor):
            grads.append(grad * s / (o + self.shift if self.shift else o) if needs(self, len(grads)) else None)
        return tuple(grads)


def _xlogy_like(name: str, classes: tuple[type, type, type], values: Any, input: Any, other: Any) -> Tensor:
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise invalid_combination(name, input, other)
    x, y, dt = binary_arrays(input, other)
    if dt.category < 2:
        dt = D.get_default_dtype()
    x, y = np.asarray(x, dtype=dt.np), np.asarray(y, dtype=dt.np)
    if dt is D.float16:
        x, y = x.astype(np.float32), y.astype(np.float32)
    with np.errstate(all="ignore"):
        out = Tensor._make(np.asarray(values(x, y)).astype(dt.np))
    if grad_recording(input, other):
        both = isinstance(input, Tensor) and isinstance(other, Tensor)
        node = classes[0]() if both else classes[1]() if isinstance(other, Tensor) else classes[2]()
        tensors = [t for t in (input, other) if isinstance(t, Tensor)]
        record(node, out, *tensors)
        if isinstance(input, Tensor):
            node.save("self", input)
        else:
            node.self_scalar = input
        if isinstance(other, Tensor):
            node.save("other", other)
        else:
            node.other_scalar = other
    return out


def xlogy(input: Any, other: Any) -> Tensor:
    """torch.xlogy: input * log(other), 0 where input is 0 (unless other is NaN)."""
    return _xlogy_like("xlogy", _XLOGY, _xlogy_values, input, other)


def xlog1py(input: Any, other: Any) -> Tensor:
    """torch.special.xlog1py: input * log1p(other), 0 where input is 0 (unless other is NaN)."""
    return _xlogy_like("special_xlog1py", _XLOG1PY, _xlog1py_values, input, other)


def _node_classes(prefix: str, op: Any, shift: int) -> tuple[type, type, type]:
    return tuple(
        type(f"{prefix}Backward{i}", (_XlogyLike,), {"op": staticmethod(op), "shift": shift}) for i in range(3)
    )  # type: ignore[return-value]


_XLOGY = _node_classes("Xlogy", xlogy, 0)
_XLOG1PY = _node_classes("SpecialXlog1Py", xlog1py, 1)
# xlogy.Tensor: self: grad * at::xlogy((self != 0), other), other: grad * self / other
# (Backward1: xlogy.Scalar_Self, other only; Backward2: xlogy.Scalar_Other, self only)
XlogyBackward0, XlogyBackward1, XlogyBackward2 = _XLOGY
# special_xlog1py: self: grad * other.log1p(), other: grad * self / (other + 1) (Backward1/2: the Scalar overloads)
SpecialXlog1PyBackward0, SpecialXlog1PyBackward1, SpecialXlog1PyBackward2 = _XLOG1PY


# --------------------------------------------------------------------------- mvlgamma
class MvlgammaBackward0(Node):
    # self: mvlgamma_backward(grad, self, p)
    #   = grad * (self.unsqueeze(-1) + arange(-p / 2. + 0.5, 0.5, 0.5)).digamma().sum(-1)
    def apply(self, grad: Tensor) -> tuple:
        s = self.saved("self")
        return (grad * digamma(P.add(s.unsqueeze(-1), _mvlgamma_offsets(self.p, s._data.dtype))).sum(-1),)


def _mvlgamma_offsets(p: int, dtype: Any) -> Tensor:
    """arange(-p / 2 + 0.5, 0.5, 0.5): the shifts -(p - 1) / 2, ..., -1/2, 0 of the p gamma factors."""
    return Tensor._make(np.arange(-p / 2.0 + 0.5, 0.5, 0.5).astype(dtype))


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """torch.mvlgamma: log of the multivariate gamma function of dimension ``p``, torch's composite
    sum(lgamma(x + shifts)) + p (p - 1) / 4 log(pi), recorded as the one node MvlgammaBackward0."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    dt = D.to_float(D._FROM_NUMPY[input._data.dtype])  # integers compute in the default float dtype
    with grad_mode.no_grad():
        x = Tensor._make(input._data.astype(dt.np, copy=False))
        shifted = P.add(x.unsqueeze(-1), _mvlgamma_offsets(p, dt.np))
        out = P.add(lgamma(shifted).sum(-1), p * (p - 1) * math.log(math.pi) * 0.25)
    out = Tensor._make(out._data)
    if grad_recording(input):
        record_saving(MvlgammaBackward0(), out, {"self": input}, p=p)
    return out


# --------------------------------------------------------------------------- igamma / igammac
class IgammaBackward0(Node):
    # self: not_implemented("igamma: input")
    # other: grad * exp((self - 1) * log(other) - other - lgamma(self))
    def apply(self, grad: Tensor) -> tuple:
        return _igamma_backward(self, grad, "igamma", 1.0)


class IgammacBackward0(Node):
    # self: not_implemented("igammac: input")
    # other: -grad * exp((self - 1) * log(other) - other - lgamma(self))
    def apply(self, grad: Tensor) -> tuple:
        return _igamma_backward(self, grad, "igammac", -1.0)


def _igamma_backward(node: Node, grad: Tensor, name: str, sign: float) -> tuple:
    if needs(node, 0):
        raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
    a, x = node.saved("self"), node.saved("other")
    density = P.exp(P.sub(P.sub(P.mul(P.sub(a, 1), P.log(x)), x), lgamma(a)))
    return None, P.mul(grad, density) if sign > 0 else P.mul(P.neg(grad), density)


def _igamma_op(name: str, input: Tensor, other: Tensor, values: Any, node_cls: type) -> Tensor:
    for arg, position, value in (("input", 1, input), ("other", 2, other)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(value).__name__}"
            )
    a, x, dt = binary_arrays(input, other)
    if dt.category < 2:  # torch's kernel is floating-only
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{dt.tensor_type[: -len('Tensor')]}'")
    if dt is D.float16:  # the Half kernel computes in float32 and rounds once
        res = values(a.astype(np.float32), x.astype(np.float32)).astype(np.float16)
    else:
        res = values(a, x)
    out = Tensor._make(res)
    if grad_recording(input, other):
        record_saving(node_cls(), out, {"self": input, "other": other})
    return out


def igamma(input: Tensor, other: Tensor) -> Tensor:
    """torch.igamma (torch.special.gammainc): the regularized lower incomplete gamma function P(input, other)."""
    return _igamma_op("igamma", input, other, igamma_values, IgammaBackward0)


def igammac(input: Tensor, other: Tensor) -> Tensor:
    """torch.igammac (torch.special.gammaincc): the regularized upper incomplete gamma function Q(input, other)."""
    return _igamma_op("igammac", input, other, igammac_values, IgammacBackward0)


# --------------------------------------------------------------------------- exports
__all__ = ["digamma", "erfc", "erfinv", "exp2", "i0", "lgamma", "logit", "polygamma", "sinc", "xlogy"]
METHODS: dict = {name: globals()[name] for name in __all__ if name != "polygamma"}
METHODS["polygamma"] = lambda self, n: polygamma(n, self)
__all__ += ["igamma", "igammac", "mvlgamma"]
METHODS.update({"igamma": igamma, "igammac": igammac, "mvlgamma": mvlgamma})
METHODS.update({"igamma_": inplace_method(igamma), "igammac_": inplace_method(igammac)})
