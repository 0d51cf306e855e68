"""Which torch release the engine mirrors.

torch's observable behaviour changes between minor releases (a gradient at a tie, an error's type, a removed
function). The engine follows one release at a time: ``set_torch_version("2.13")`` or the environment variable
``REFERENCE_ENGINE_TORCH_VERSION``, else the newest supported release. The conformance runner sets it to the
version of the torch it compares against, so both sides mirror the same release.

Each difference lives beside the op it concerns, guarded by ``since("2.14")``, with a comment naming the
release and the change; ``CHANGES`` lists them all (the docs and ``conformance`` show that list).
"""

from __future__ import annotations

import functools
import os
import re

SUPPORTED: tuple[str, ...] = ("2.13", "2.14")
NEWEST = SUPPORTED[-1]
ENV = "REFERENCE_ENGINE_TORCH_VERSION"

# (release, what changed, where the engine follows it): one line per difference, newest last
CHANGES: tuple[tuple[str, str, str], ...] = (
    ("2.14", "clamp/clamp_min/clamp_max/clip with number bounds pass the gradient strictly inside the bounds "
     "(zero at a bound); with tensor bounds a tie splits the gradient in halves", "ops/pointwise.py clamp"),
    ("2.14", "negation and subtraction of bool tensors raise NotImplementedError (same text; was RuntimeError)",
     "ops/pointwise.py neg, sub"),
    ("2.14", "torch.cholesky, torch.qr and their Tensor methods are removed: calling them raises RuntimeError",
     "ops/linalg.py cholesky, qr"),
    ("2.14", "quantile/nanquantile select the neighbours of a rank without recording SortBackward0 when the row is "
     "long for the ranks needed, and compute the interpolation weight in double", "ops/sorting.py quantile"),
    ("2.14", "group_norm's double backward gives zero tensors, not None, for weight and bias",
     "nn/_functional/normalization.py group_norm"),
    ("2.14", "group_norm refuses an input with empty spatial dims (RuntimeError 'Expected HxW to be greater than 0')",
     "nn/_functional/normalization.py group_norm"),
    ("2.14", "group_norm refuses zero channels (RuntimeError 'Expected number of channels to be greater than 0, "
     "got 0', before the HxW check)", "nn/_functional/normalization.py group_norm"),
    ("2.14", "new functions linalg.matrix_sqrth and linalg.polar", "linalg.py"),
    ("2.14", "combinations indexes the input with its (n, r) index table at once (IndexBackward0; was a stack of "
     "masked selections, StackBackward0)", "ops/join.py combinations"),
    ("2.14", "trapezoid/cumulative_trapezoid refuse bool inputs with NotImplementedError (same text; was "
     "RuntimeError)", "ops/scan.py"),
    ("2.14", "ldl_factor's internal-assert text names another source line (BatchLinearAlgebra.cpp:1681, was 1642)",
     "ops/linalg_solvers.py"),
    ("2.14", "arange with an integral dtype takes its length from the bounds as given (ceil((end-start)/step)), "
     "its values from the truncated start and step; a step that truncates to 0 repeats the start (2.13: "
     "bounds truncated first, 'step must be nonzero')", "_creation.py arange"),
    ("2.14", "optim.LBFGS takes a keyword-only maximize (last in its defaults and repr); a step over an empty "
     "parameter group only evaluates the closure (was IndexError)", "optim/lbfgs.py LBFGS"),
    ("2.14", "torch.compile: InvalidBackend's text changes and suggests close backend names; the keyword "
     "shapes_spec is renamed dynamic_shapes", "_compile.py"),
    ("2.14", "utils.checkpoint: without a function checkpoint(**config) is a decorator; new keyword "
     "respect_saved_tensors_hooks, named in the reentrant mode's refusal", "utils/checkpoint.py"),
    ("2.14", "quantile/nanquantile's selection path (rank count^2 <= row length, one rank per quantile for lower/"
     "higher/nearest, two for linear/midpoint) picks among equal values and NaNs as std::nth_element does, so "
     "another of them carries the gradient", "ops/sorting.py quantile"),
    ("2.14", "relu of a bool tensor raises NotImplementedError (same text; was RuntimeError)", "ops/unary.py relu"),
    ("2.14", "matmul folds an N-D operand into mm/mv when its leading dims are contiguous once the size-1 dims "
     "are dropped (a size-1 dim's stride is a wildcard; pytorch#186178)", "ops/blas.py _should_fold"),
    ("2.14", "scaled_dot_product_attention runs 3-D q, k, v as 4-D (unsqueeze(0), a 1-D/3-D mask too; result "
     "squeezed: SqueezeBackward1, the flash kernel where it applies)", "nn/_functional/attention.py"),
    ("2.14", "scaled_dot_product_attention refuses is_causal with an explicit mask on every path (2.13's flash "
     "kernel applied both)", "nn/_functional/attention.py"),
    ("2.14", "scaled_dot_product_attention's flash kernel takes one key/value head shared by all query heads "
     "without enable_gqa", "nn/_functional/attention.py _flash_chosen"),
)  # fmt: skip


@functools.lru_cache(maxsize=64)
def _minor(version: str) -> tuple[int, int]:
    m = re.match(r"\s*(\d+)\.(\d+)", str(version))
    if not m:
        raise ValueError(f"not a torch version: {version!r} (expected something like '2.14' or '2.14.1+cpu')")
    return int(m.group(1)), int(m.group(2))


def supported_for(version: str) -> str:
    """The supported release closest to any torch version: itself, else the nearest older or newer one."""
    want = _minor(version)
    known = [_minor(v) for v in SUPPORTED]
    if want < known[0]:
        return SUPPORTED[0]
    older = [v for v, k in zip(SUPPORTED, known, strict=True) if k <= want]
    return older[-1]


def _check(version: str) -> tuple[int, int]:
    minor = _minor(version)
    if f"{minor[0]}.{minor[1]}" not in SUPPORTED:
        raise ValueError(f"the engine mirrors torch {', '.join(SUPPORTED)}; got {version!r}")
    return minor


_current: tuple[int, int] = _check(os.environ.get(ENV) or NEWEST)


def set_torch_version(version: str) -> None:
    """Mirror torch ``version`` ("2.13", "2.14", or a full version string such as "2.14.1+cpu")."""
    global _current
    _current = _check(version)


def get_torch_version() -> str:
    """The torch release the engine mirrors now, as "major.minor"."""
    return f"{_current[0]}.{_current[1]}"


def since(version: str) -> bool:
    """Whether the mirrored release is ``version`` or newer (the guard beside each difference)."""
    return _current >= _minor(version)
