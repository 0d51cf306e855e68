"""``out=`` for every engine function torch gives one, through one mechanism (``ops.inplace.call_with_out``).

The names are the functions of torch 2.13's namespaces (top level, ``linalg``, ``special``,
``nn.functional``) whose ATen schema has an ``out`` overload (``torch._C._jit_get_schemas_for_operator``),
and the Python-level ones that take ``out`` (``tensordot``, ``chain_matmul``, ``norm``), less the
factories and random functions (``zeros``, ``randn``, ...), whose out= variants compute in the output's dtype
and live with the factories. Each such function of the engine is replaced by a wrapper that hands a call
without ``out`` straight to the op and a call with one to ``call_with_out``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .ops.inplace import call_with_out

OUT_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "": (
        "abs", "absolute", "acos", "adaptive_avg_pool1d", "add", "angle", "conj_physical", "addbmm", "addcdiv", "addcmul", "addmm", "addmv",
        "addr", "all", "amax", "amin", "any", "arctan2", "argmax", "argmin", "argsort", "asin", "atan", "atan2",
        "avg_pool1d", "baddbmm", "bincount", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "bmm", "cat",
        "ceil", "celu", "chain_matmul", "cholesky", "clamp", "clamp_max", "clamp_min", "clip", "clone",
        "column_stack", "concat", "concatenate", "copysign", "cos", "cosh", "count_nonzero", "cross", "cumprod",
        "cumsum", "deg2rad", "diag", "diff", "digamma", "dist", "div", "divide", "dot", "dstack", "eq", "erf", "erfc",
        "erfinv", "exp", "exp2", "expand_copy", "expm1", "fix", "flip", "float_power", "floor", "floor_divide", "fmod",
        "frac", "gather", "ge", "ger", "greater", "greater_equal", "gt", "hardshrink", "heaviside", "histc", "hstack",
        "hypot", "i0", "index_add", "index_copy", "index_fill", "index_put", "index_select", "inverse", "isinf",
        "isnan", "kron", "le", "lerp", "less", "less_equal", "lgamma", "log", "log10", "log1p", "log2", "log_softmax",
        "logaddexp", "logaddexp2", "logcumsumexp", "logical_and", "logical_not", "logical_or", "logical_xor", "logit",
        "logsumexp", "lt", "masked_fill", "masked_select", "matmul", "matrix_power", "max", "maximum", "mean",
        "median", "min", "minimum", "mm", "msort", "mul", "multiply", "mv", "nan_to_num", "nanmean", "nanquantile",
        "nansum", "ne", "neg", "negative", "nextafter", "nonzero", "norm", "not_equal", "outer", "pixel_shuffle",
        "pixel_unshuffle", "polygamma", "pow", "prod", "quantile", "rad2deg", "reciprocal", "relu", "remainder",
        "renorm", "repeat_interleave", "roll", "rot90", "round", "row_stack", "rsqrt", "rsub", "scatter",
        "scatter_add", "searchsorted", "sgn", "sigmoid", "sign", "signbit", "sin", "sinc", "sinh", "softmax", "sqrt",
        "square", "stack", "std", "sub", "subtract", "sum", "take", "take_along_dim", "tan", "tanh", "tensordot",
        "threshold", "trace", "tril", "triu", "true_divide", "trunc", "var", "vstack", "where", "xlogy",
    ),
    "linalg": (
        "cholesky", "cross", "det", "eig", "eigvals", "eigvalsh", "inv", "matmul", "matrix_norm", "matrix_power", "matrix_rank", "norm",
        "pinv", "solve", "svdvals", "vector_norm",
    ),
    "special": (
        "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "i0e", "i1",
        "i1e", "log1p", "log_ndtr", "logit", "logsumexp", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc",
        "xlog1py", "xlogy",
        # the orthogonal polynomials, Bessel functions and zeta (ops/orthogonal_polynomials.py, ops/bessel.py)
        "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
        "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p",
        "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
        "shifted_chebyshev_polynomial_w",
        "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
        "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
        "spherical_bessel_j0", "zeta",
    ),
    "nn.functional": (
        "adaptive_avg_pool1d", "avg_pool1d", "avg_pool2d", "gelu", "hardshrink", "linear", "pixel_shuffle",
        "pixel_unshuffle", "softplus", "softshrink",
        "avg_pool3d", "logsigmoid",
    ),
}  # fmt: skip
# the inverse hyperbolic, float-math, integer, distance/statistics ops of the OpInfo breadth work
OUT_FUNCTIONS[""] += (
    "acosh", "arccosh", "arcsinh", "arctanh", "asinh", "atanh", "bitwise_left_shift", "bitwise_right_shift", "fmax",
    "fmin", "frexp", "gcd", "isneginf", "isposinf", "lcm", "ldexp", "inner", "vdot", "nanmedian", "bucketize",
    "isin", "nonzero_static", "unique_consecutive", "mvlgamma", "histogram", "igamma", "igammac",
)  # fmt: skip
OUT_FUNCTIONS["special"] += ("gammainc", "gammaincc", "multigammaln")
# torch.linalg's factorizations, solvers and composites (reference_engine/linalg.py, ops/linalg_solvers.py)
OUT_FUNCTIONS[""] += ("cholesky_inverse", "cholesky_solve", "lu_solve", "lu_unpack", "ormqr")
OUT_FUNCTIONS["linalg"] += (
    "cond", "householder_product", "ldl_factor", "ldl_factor_ex", "ldl_solve", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "multi_dot", "solve_ex",
    "solve_triangular", "tensorinv", "tensorsolve", "vecdot",
)  # fmt: skip
OUT_FUNCTIONS[""] += ("kthvalue",)  # (values, indices) into a tuple of two tensors
# reductions into an index (ops/indexed_reduction.py)
OUT_FUNCTIONS[""] += ("index_reduce", "scatter_reduce")
OUT_FUNCTIONS[""] += ("masked_scatter", "_chunk_cat", "hash_tensor")

# the *_copy variants of view ops (ops/shape.py, ops/join.py, ops/indexing.py) and slice_scatter
OUT_FUNCTIONS[""] += ("slice_scatter",)
OUT_FUNCTIONS[""] += (
    "alias_copy", "as_strided_copy", "diagonal_copy", "narrow_copy", "permute_copy", "split_with_sizes_copy",
    "squeeze_copy", "t_copy", "transpose_copy", "unbind_copy", "unfold_copy", "unsqueeze_copy", "view_copy",
)  # fmt: skip

# The name torch's out= errors give: the ATen op an alias or a namespace function runs (torch.clip -> clamp,
# torch.linalg.det -> _linalg_det, torch.special.erfcx -> special_erfcx)
ATEN_NAMES = {
    "absolute": "abs", "clip": "clamp", "arctan2": "atan2", "divide": "div", "true_divide": "div",
    "multiply": "mul", "subtract": "sub", "negative": "neg", "greater": "gt", "greater_equal": "ge", "less": "lt",
    "less_equal": "le", "not_equal": "ne", "fix": "trunc", "concat": "cat", "concatenate": "cat",
    "row_stack": "vstack", "ger": "outer", "norm": "linalg_vector_norm", "linalg.det": "_linalg_det",
    "linalg.norm": "linalg_vector_norm", "special.expit": "sigmoid", "special.psi": "digamma",
    "special.gammaln": "lgamma", "nn.functional.logsigmoid": "log_sigmoid",
}  # fmt: skip
ATEN_NAMES.update({"arccosh": "acosh", "arcsinh": "asinh", "arctanh": "atanh"})


def accepting_out(func: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``func`` with torch's ``out=`` keyword (a call without it costs one extra Python call)."""

    @functools.wraps(func)
    def call(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        if out is None:
            return func(*args, **kwargs)
        return call_with_out(func, name, args, kwargs, out)

    call.__wrapped_for_out__ = func  # type: ignore[attr-defined]
    return call


def install(root: ModuleType) -> None:
    """Wrap the functions of ``OUT_FUNCTIONS`` in ``root`` (the engine's namespace) and its submodules."""
    for path, names in OUT_FUNCTIONS.items():
        module: Any = root
        for part in filter(None, path.split(".")):
            module = getattr(module, part)
        for name in names:
            func = getattr(module, name, None)
            if callable(func) and not hasattr(func, "__wrapped_for_out__"):
                qualified = f"{path}.{name}" if path else name
                aten = ATEN_NAMES.get(qualified) or (f"{path}_{name}" if path in ("linalg", "special") else name)
                setattr(module, name, accepting_out(func, aten))
