"""The authoring API: ``@scenario(...)`` registers a function of ``(torch, check)``.

A scenario file under ``scenarios/`` is plain Python; importing it runs the
decorators, which validate the metadata at once and raise ``ScenarioError``
naming the file and line of the offending function. The runner never sees a
malformed scenario.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compare import DEFAULT_TOLERANCES, Tolerance

# The areas a scenario can belong to; a typo in a tag is a collection error,
# so the report's per-area matrix never gets a stray one-off row.
KNOWN_TAGS: frozenset[str] = frozenset(
    {
        "requires_grad", "seed", "seeds", "accumulation", "freezing", "training", "errors", "no_grad",
        "detach", "retain_grad", "hooks", "autograd_grad", "double_backward", "inplace", "broadcasting",
        "dtype_promotion", "optim", "nn", "views", "reductions", "indexing", "printing", "pointwise",
        "linalg", "warnings", "function", "grad_mode", "devices", "autograd_api",
    }
)  # fmt: skip
KNOWN_DTYPES: tuple[str, ...] = ("float16", "bfloat16", "float32", "float64")
KNOWN_DEVICES: tuple[str, ...] = ("cpu", "cuda")
DEFAULT_TIMEOUT_S = 60.0


class ScenarioError(Exception):
    """A malformed scenario; the message names its file and line."""


@dataclass(frozen=True)
class Scenario:
    """One registered scenario and its validated metadata."""

    name: str
    func: Callable[..., Any]
    file: str
    line: int
    tags: tuple[str, ...]
    dtypes: tuple[str, ...] = ("float32",)
    devices: tuple[str, ...] = ("cpu", "cuda")
    tolerance: dict[str, Tolerance] = field(default_factory=dict)
    claim: dict[str, Any] = field(default_factory=dict)
    claim_source: str = ""
    timeout_s: float = DEFAULT_TIMEOUT_S
    versioned: str = ""  # what torch-side behaviour changes between releases ("" : none known)

    @property
    def where(self) -> str:
        """``file:line``, relative to the working directory when the file is below it."""
        path = Path(self.file)
        with contextlib.suppress(ValueError):
            path = path.relative_to(Path.cwd())
        return f"{path}:{self.line}"

    def tolerance_for(self, dtype: str) -> Tolerance | None:
        """The declared override for ``dtype`` (None: assert_close's defaults)."""
        return self.tolerance.get(dtype)


# Scenarios registered by the file being imported right now (the loader
# drains it after each file); module-level so the decorator needs no context.
_pending: list[Scenario] = []


def _fail(func: Any, message: str) -> ScenarioError:
    code = getattr(func, "__code__", None)
    if code is not None:
        where = f"{code.co_filename}:{code.co_firstlineno}"
    else:
        # Not a function: name the line of the scenario file that applied the decorator.
        frame = sys._getframe(1)
        while frame.f_back is not None and frame.f_code.co_filename == __file__:
            frame = frame.f_back
        where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    name = getattr(func, "__name__", repr(func))
    return ScenarioError(f"{where}: scenario {name!r}: {message}")


def _as_tuple(value: Any, what: str, func: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
        raise _fail(func, f"{what} must be a list of strings, got {value!r}")
    return tuple(value)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` to a misspelled ``word``, else ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _check_choice(values: tuple[str, ...], allowed: Iterable[str], what: str, func: Any) -> None:
    allowed = set(allowed)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        hint = did_you_mean(unknown[0], allowed)
        raise _fail(func, f"unknown {what} {unknown}{hint} (known: {sorted(allowed)})")


def _is_tol_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) and x >= 0


def _parse_tolerance(spec: Any, reason: str, dtypes: tuple[str, ...], func: Any) -> dict[str, Tolerance]:
    """``(rtol, atol)`` for every dtype, or ``{dtype: (rtol, atol)}``; a reason is required."""
    if spec is None:
        return {}
    if not reason:
        raise _fail(func, "a tolerance override needs tolerance_reason='why'")
    per_dtype = spec if isinstance(spec, dict) else dict.fromkeys(dtypes, spec)
    out: dict[str, Tolerance] = {}
    for dtype, pair in per_dtype.items():
        if dtype not in DEFAULT_TOLERANCES:
            raise _fail(func, f"bad tolerance: unknown dtype {dtype!r}")
        if not (isinstance(pair, tuple | list) and len(pair) == 2 and all(_is_tol_number(x) for x in pair)):
            raise _fail(func, f"bad tolerance {pair!r}: expected (rtol, atol), two finite numbers >= 0")
        out[dtype] = Tolerance(float(pair[0]), float(pair[1]), reason)
    return out


KEYWORDS = ("tags", "dtypes", "devices", "tolerance", "tolerance_reason", "claim", "claim_source", "timeout_s", "name",
            "versioned")  # fmt: skip


def scenario(
    tags: Iterable[str] = (),
    dtypes: Iterable[str] = ("float32",),
    devices: Iterable[str] = ("cpu", "cuda"),
    tolerance: Any = None,
    tolerance_reason: str = "",
    claim: dict[str, Any] | None = None,
    claim_source: str = "",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    name: str | None = None,
    versioned: str = "",
    **unknown: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func(torch, check)`` as a scenario (validated now, run later by the plugin).

    ``claim`` maps checkpoint labels (or ``"error"``) to what a document says
    they are; the verdict reports claim vs torch vs engine. An expected divergence is declared in
    the one registry, ``scenarios/expected_divergences.toml``. ``versioned`` says what the scenario observes
    that differs between torch releases (and since which): a run against another torch than the baseline's
    reports the item as version-dependent, not as an engine regression.
    """

    if unknown:  # a misspelled keyword: named with the decorator's file:line, and the keyword it resembles
        caller = sys._getframe(1)
        word = next(iter(unknown))
        hint = did_you_mean(word, KEYWORDS)
        raise ScenarioError(
            f"{caller.f_code.co_filename}:{caller.f_lineno}: scenario() got an unknown keyword {word!r}{hint} "
            f"(keywords: {', '.join(KEYWORDS)})"
        )

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(func) or not hasattr(func, "__code__"):
            raise _fail(func, "@scenario must decorate a plain function `def name(torch, check): ...`")
        if func.__code__.co_argcount != 2:
            raise _fail(func, "a scenario takes exactly two arguments: (torch, check)")
        tag_t = _as_tuple(tags, "tags", func)
        if not tag_t:
            raise _fail(func, "a scenario needs at least one tag")
        _check_choice(tag_t, KNOWN_TAGS, "tag", func)
        dtype_t = _as_tuple(dtypes, "dtypes", func)
        _check_choice(dtype_t, KNOWN_DTYPES, "dtype", func)
        device_t = _as_tuple(devices, "devices", func)
        _check_choice(device_t, KNOWN_DEVICES, "device", func)
        if not (dtype_t and device_t):
            raise _fail(func, "dtypes and devices must not be empty")
        if not _is_tol_number(timeout_s) or timeout_s == 0:
            raise _fail(func, f"bad timeout_s {timeout_s!r}")
        if claim is not None and not isinstance(claim, dict):
            raise _fail(func, "claim must be a dict {checkpoint label: claimed value}")
        if not isinstance(versioned, str):
            raise _fail(func, "versioned must be a string: what changed between torch releases, and in which")
        _pending.append(
            Scenario(
                name=name or func.__name__,
                func=func,
                file=func.__code__.co_filename,
                line=func.__code__.co_firstlineno,
                tags=tag_t,
                dtypes=dtype_t,
                devices=device_t,
                tolerance=_parse_tolerance(tolerance, tolerance_reason, dtype_t, func),
                claim=dict(claim or {}),
                claim_source=claim_source,
                timeout_s=float(timeout_s),
                versioned=versioned,
            )
        )
        return func

    if callable(tags) and not isinstance(tags, str | list | tuple):
        # `@scenario` without parentheses: the tags requirement still applies.
        raise _fail(tags, "use @scenario(tags=[...]) with parentheses")
    return register


def drain_pending() -> list[Scenario]:
    """The scenarios registered since the last call (one scenario file's worth)."""
    out = list(_pending)
    _pending.clear()
    return out
