"""A third opinion on gradient divergences: float64 finite differences.

When the engine and torch report different gradients, neither is assumed
right. ``adjudicate`` evaluates the scalar function in float64 and compares
each engine's directional derivative ``<grad, v>`` with the central difference
``(f(x + h v) - f(x - h v)) / 2h`` along coordinate directions (small inputs)
or random unit directions (gradcheck's fast mode idea: a random projection).

Labels:
- ``engine wrong``: finite differences agree with torch, not with the engine;
- ``torch wrong``: they agree with the engine, not with torch;
- ``both agree within precision``: the two gradients match each other;
- ``non-differentiable point``: along a direction where the engines differ the
  one-sided slopes at the nearby points ``x + h v`` and ``x - h v`` differ, so
  the derivative there is a convention (torch's convention is the spec);
- ``undecided``: neither gradient matches the finite differences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

LABELS = ("engine wrong", "torch wrong", "both agree within precision", "non-differentiable point", "undecided")


@dataclass(frozen=True)
class OracleVerdict:
    label: str
    detail: str

    def describe(self) -> str:
        return f"{self.label} ({self.detail})"


def _flat(parts: dict[str, np.ndarray | None], like: dict[str, np.ndarray]) -> np.ndarray:
    out = [
        np.zeros(v.size) if parts.get(k) is None else np.asarray(parts[k], np.float64).ravel() for k, v in like.items()
    ]
    return np.concatenate(out) if out else np.zeros(0)


def _directions(n: int, rng: np.random.Generator, n_random: int) -> list[np.ndarray]:
    if n <= 24:
        return list(np.eye(n))
    dirs = rng.standard_normal((n_random, n))
    return list(dirs / np.linalg.norm(dirs, axis=1, keepdims=True))


def adjudicate(
    f: Callable[[dict[str, np.ndarray]], float],
    x: dict[str, np.ndarray],
    engine_grad: dict[str, np.ndarray | None],
    torch_grad: dict[str, np.ndarray | None],
    h: float = 1e-6,
    rtol: float = 1e-3,
    atol: float = 1e-5,
    seed: int = 0,
) -> OracleVerdict:
    """Label a gradient divergence of the scalar function ``f`` at ``x`` (arrays keyed by input name).

    ``rtol``/``atol`` are loose on purpose: the gradients under judgement may be float32.
    """
    x = {k: np.asarray(v, np.float64) for k, v in x.items()}
    g_e, g_t = _flat(engine_grad, x), _flat(torch_grad, x)
    x0 = _flat(x, x)
    shapes = [(k, v.shape, v.size) for k, v in x.items()]

    def at(flat: np.ndarray) -> float:
        parts, i = {}, 0
        for k, shape, size in shapes:
            parts[k] = flat[i : i + size].reshape(shape)
            i += size
        return float(f(parts))

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= atol + rtol * max(abs(a), abs(b))

    if all(close(a, b) for a, b in zip(g_e, g_t)):
        return OracleVerdict(
            "both agree within precision", f"max |engine - torch| = {np.max(np.abs(g_e - g_t), initial=0):.3g}"
        )
    f0 = at(x0)
    engine_ok = torch_ok = True
    for v in _directions(x0.size, np.random.default_rng(seed), 4):
        e_dir, t_dir = float(g_e @ v), float(g_t @ v)
        if close(e_dir, t_dir):
            continue
        fp, fm = at(x0 + h * v), at(x0 - h * v)
        right, left = (fp - f0) / h, (f0 - fm) / h
        if not close(right, left):
            return OracleVerdict(
                "non-differentiable point",
                f"one-sided slopes {left:.6g} (left) and {right:.6g} (right); engine {e_dir:.6g}, torch {t_dir:.6g}",
            )
        fd = (fp - fm) / (2 * h)
        engine_ok &= close(e_dir, fd)
        torch_ok &= close(t_dir, fd)
        last = f"finite difference {fd:.6g}, engine {e_dir:.6g}, torch {t_dir:.6g}"
    if torch_ok and not engine_ok:
        return OracleVerdict("engine wrong", last)
    if engine_ok and not torch_ok:
        return OracleVerdict("torch wrong", last)
    return OracleVerdict("undecided", last)


def program_verdict(program: Any, engine: dict[str, Any], expected: dict[str, Any]) -> OracleVerdict:
    """Adjudicate a generated ``Program``'s leaf-gradient divergence, evaluating it with torch in float64."""
    import torch  # noqa: PLC0415

    leaves = [lf for lf in program.leaves if lf.requires_grad]
    x = {lf.name: np.array(lf.values, np.float64).reshape(lf.shape) for lf in leaves}
    seed = program.seed
    weights = None if seed.kind.startswith("implicit") else np.array(seed.values, np.float64).reshape(seed.shape)

    def f(values: dict[str, np.ndarray]) -> float:
        env: dict[str, Any] = {"torch": torch}
        for lf in program.leaves:
            arr = values.get(lf.name)
            env[lf.name] = torch.tensor(
                lf.nested() if arr is None else arr, dtype=torch.float64 if lf.dtype != "int64" else torch.int64
            )
        for s in program.steps:
            env[s.name] = eval(s.expr, env)  # generated program text
        out = env[program.output].double()
        return float((out if weights is None else out * torch.from_numpy(weights)).sum())

    grads = {
        side: {lf.name: obs.get(lf.name + ".grad") for lf in leaves} for side, obs in (("e", engine), ("t", expected))
    }
    return adjudicate(f, x, grads["e"], grads["t"])
