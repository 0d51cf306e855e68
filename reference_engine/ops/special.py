"""Special functions: erfinv, lgamma, digamma, polygamma, Bessel i0/i1, logit, xlogy, ndtr ... (torch.special).

Values come from SciPy's special functions when SciPy is installed (Cephes, as torch's kernels are, so
float64 results agree to a few ulps). Without SciPy, lgamma and erfinv fall back to exact NumPy-only
methods (``math.lgamma`` per element; Newton steps on ``math.erf``); the others then raise ImportError.
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
from ._incomplete_gamma import igamma_values, igammac_values
from ._util import binary_arrays, grad_recording, invalid_combination, needs, record, record_saving, record_with
from .inplace import inplace_method

try:
    import scipy.special as _sp  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised only where SciPy is missing
    _sp = None


def _scipy(name: str) -> Any:
    if _sp is None:  # pragma: no cover
        raise ImportError(
            f"torch.special.{name} needs SciPy in the reference engine: pip install 'autograd-conformance[special]'"
        )
    return getattr(_sp, name)


def _lgamma_values(xp: Any, a: Any) -> Any:
    if _sp is not None:
        return np.where(a == -np.inf, np.inf, _sp.gammaln(a))  # torch: lgamma(-inf) = inf

    def one(v: float) -> float:  # pragma: no cover
        try:
            return math.lgamma(v)
        except ValueError:  # a pole: torch gives +inf
            return math.inf

    return np.vectorize(one, otypes=[a.dtype])(a)  # pragma: no cover


def _erfinv_values(xp: Any, a: Any) -> Any:
    if _sp is not None:
        return _sp.erfinv(a)
    x = np.asarray(a, dtype=np.float64)  # pragma: no cover
    erf = np.vectorize(math.erf, otypes=[np.float64])  # pragma: no cover
    with np.errstate(all="ignore"):  # pragma: no cover
        y = np.sqrt(-np.log((1 - x) * (1 + x))) * np.sign(x)  # a starting point with the right tails
        for _ in range(60):  # Newton converges quadratically; the count covers the tails
            y = y - (erf(y) - x) / (2 / math.sqrt(math.pi) * np.exp(-y * y))
        y = np.where(np.abs(x) == 1, np.sign(x) * np.inf, np.where(np.abs(x) > 1, np.nan, y))
    return y.astype(a.dtype)  # pragma: no cover


def _entr_values(a: Any) -> Any:
    # -x log x for x > 0, 0 at 0, -inf below; NaN stays NaN
    pos = -a * np.log(np.where(a > 0, a, 1))
    return np.where(np.isnan(a), a, np.where(a > 0, pos, np.where(a == 0, 0, -np.inf)))


def _digamma_values(xp: Any, a: Any) -> Any:
    res = _scipy("psi")(a)
    # torch: digamma(+-0) = -+inf (SciPy gives -inf for both)
    return np.where(a == 0, np.copysign(np.inf, -np.copysign(1.0, a)), res).astype(a.dtype, copy=False)


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


class SpecialI1Backward0(Node):
    # self: i1_backward(grad, self, result) = grad * (i0(self) - result / self), 0.5 at self == 0
    def apply(self, grad: Tensor) -> tuple:
        s, r = self.saved("self"), self.saved("result")
        zero = Tensor._make(s._data == 0)
        return (grad * P.where(zero, 0.5, i0(s) - r / s),)


class SpecialI1EBackward0(Node):
    # self: i1e_backward(grad, self, result) = grad * (i0e(self) - result * (self.sgn() + 1 / self)), 0.5 at 0
    def apply(self, grad: Tensor) -> tuple:
        s, r = self.saved("self"), self.saved("result")
        zero = Tensor._make(s._data == 0)
        return (grad * P.where(zero, 0.5, i0e(s) - r * (P.sgn(s) + 1 / s)),)


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


_SELF, _RESULT, _BOTH = ("self",), ("result",), ("self", "result")
erfinv = _unary("erfinv", _erfinv_values, ErfinvBackward0, _SELF)
erfc = _unary("erfc", lambda xp, a: _scipy("erfc")(a), ErfcBackward0, _SELF)
erfcx = _unary("erfcx", lambda xp, a: _scipy("erfcx")(a), SpecialErfcxBackward0, _BOTH, "erfcx_cpu")
lgamma = _unary("lgamma", _lgamma_values, LgammaBackward0, _SELF)
digamma = _unary("digamma", _digamma_values, DigammaBackward0, _SELF)
i0 = _unary("i0", lambda xp, a: np.i0(a), I0Backward0, _SELF)
i0e = _unary("i0e", lambda xp, a: _scipy("i0e")(a), SpecialI0EBackward0, _SELF)
i1 = _unary("i1", lambda xp, a: _scipy("i1")(a), SpecialI1Backward0, _BOTH)
i1e = _unary("i1e", lambda xp, a: _scipy("i1e")(a), SpecialI1EBackward0, _BOTH)
sinc = _unary("sinc", lambda xp, a: np.sinc(a), SincBackward0, _SELF)
entr = _unary("entr", lambda xp, a: _entr_values(a), SpecialEntrBackward0, _SELF)
log_ndtr = _unary("log_ndtr", lambda xp, a: _scipy("log_ndtr")(a), SpecialLogNdtrBackward0, _BOTH, "log_ndtr_cpu")
ndtri = _unary("ndtri", lambda xp, a: _scipy("ndtri")(a), SpecialNdtriBackward0, _RESULT, "ndtri_cpu")
exp2 = _unary("exp2", lambda xp, a: np.exp2(a), Exp2Backward0, _RESULT)


def _trigamma_values(a: Any) -> Any:
    """torch's calc_trigamma (reflection below 0.5, six recurrence steps, then the asymptotic series), so
    polygamma(1, x) and digamma's gradient carry torch's rounding rather than SciPy's exact values."""
    x = a.astype(np.float64)
    reflect = x < 0.5
    result = np.where(reflect, -(math.pi**2) / np.sin(math.pi * x) ** 2, 0.0)
    x = np.where(reflect, 1 - x, x)
    for _ in range(6):
        result = result + 1 / (x * x)
        x = x + 1
    ixx = 1 / (x * x)
    result = result + (1 + 1 / (2 * x) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (1.0 / 42)))) / x
    return np.where(reflect, -result, result).astype(a.dtype)


def polygamma(n: int, input: Tensor) -> Tensor:
    """torch.polygamma: the n-th derivative of digamma (n = 0 is digamma itself)."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return digamma(input)
    fn = (lambda xp, a: _trigamma_values(a)) if n == 1 else (lambda xp, a: _scipy("polygamma")(n, a))
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
            a = np.clip(a, eps, 1 - eps)
        return np.log(a / (1 - a))

    out = Tensor._make(P._unary_compute(input, dt, fn))
    if grad_recording(input):
        record_saving(LogitBackward0(), out, {"self": input}, eps=eps)
    return out


# --------------------------------------------------------------------------- xlogy / xlog1py
def _xlogy_values(x: Any, y: Any) -> Any:
    # 0 * log(y) is 0 unless y is NaN
    return np.where((x == 0) & ~np.isnan(y), 0, x * np.log(y))


def _xlog1py_values(x: Any, y: Any) -> Any:
    return np.where((x == 0) & ~np.isnan(y), 0, x * np.log1p(y))


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
