"""Deliberate, realistic engine bugs, and a bounded run of the generated checkers against each.

A ``Mutation`` patches engine attributes for the duration of a ``with
mutation.applied():`` block (like pytest's monkeypatch, without pytest). The
meta-test (tests/meta/test_mutations.py) asserts that the generated suites catch
every one, which measures whether they can find real bugs at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance import strategies

Patch = tuple[Any, str, Any]  # (object, attribute name, replacement)


@dataclass(frozen=True)
class Mutation:
    name: str
    description: str
    patches: Callable[[], list[Patch]]  # built lazily: the replacements close over the originals
    generators: tuple[str, ...]  # the order the checkers are tried in (all are tried until one catches)

    @contextmanager
    def applied(self) -> Iterator[None]:
        saved = []
        try:
            for obj, attr, value in self.patches():
                saved.append((obj, attr, obj.__dict__[attr] if isinstance(obj, type) else getattr(obj, attr)))
                setattr(obj, attr, value)
            yield
        finally:
            for obj, attr, value in reversed(saved):
                setattr(obj, attr, value)


# -- the bugs ------------------------------------------------------------------------------------------


def _sin_sign() -> list[Patch]:
    from reference_engine.ops import pointwise  # noqa: PLC0415

    return [(pointwise.SinBackward0, "apply", lambda self, grad: (grad * -self.saved("self").cos(),))]


def _sigmoid_missing_factor() -> list[Patch]:
    from reference_engine.ops import pointwise  # noqa: PLC0415

    return [(pointwise.SigmoidBackward0, "apply", lambda self, grad: (grad * (1 - self.saved("result")),))]


def _relu_at_zero() -> list[Patch]:
    from reference_engine.ops import pointwise  # noqa: PLC0415

    return [(pointwise.ReluBackward0, "apply", lambda self, grad: (grad * (self.saved("result") >= 0),))]


def _clamp_wrong_bounds() -> list[Patch]:
    from reference_engine import _torch_version  # noqa: PLC0415
    from reference_engine.ops import pointwise  # noqa: PLC0415

    # a bug under the oracle that runs: torch 2.13 passes the grad at clamp's bounds and 2.14 stops it there,
    # so the mutation does what the other release does
    strict = not _torch_version.since("2.14")

    def apply(self: Any, grad: Any) -> tuple:
        s, lo, hi = self.saved("self"), self.min, self.max
        low = (s > lo if strict else s >= lo) if lo is not None else None
        high = (s < hi if strict else s <= hi) if hi is not None else None
        mask = low & high if low is not None and high is not None else low if low is not None else high
        return (pointwise.where(mask, grad, 0.0),)

    return [(pointwise.ClampBackward1, "apply", apply)]


def _maximum_ties_not_split() -> list[Patch]:
    from reference_engine.ops import pointwise  # noqa: PLC0415

    def minmax(node: Any, grad: Any, lose_self: str, other: str = "other") -> tuple:
        a, b = node.saved("self"), node.saved(other)
        self_loses, other_loses = (a < b, a > b) if lose_self == "lt" else (a > b, a < b)
        ga = pointwise.where(self_loses, 0.0, grad) if pointwise.needs(node, 0) else None  # full grad at ties
        gb = pointwise.where(other_loses, 0.0, grad) if pointwise.needs(node, 1) else None
        return ga, gb

    return [(pointwise, "_minmax_backward", minmax)]


def _mean_not_divided() -> list[Patch]:
    from reference_engine.ops import reduction  # noqa: PLC0415

    real = reduction.MeanBackward1.apply
    return [(reduction.MeanBackward1, "apply", lambda self, grad: (real(self, grad)[0] * self.count,))]


def _broadcast_not_undone() -> list[Patch]:
    from reference_engine.autograd import engine  # noqa: PLC0415

    def sum_to_shape(grad: Any, shape: tuple) -> Any:
        lead = grad.ndim - len(shape)
        return grad.sum(list(range(lead))) if lead else grad  # the bug: size-1 dims are not summed

    return [(engine, "sum_to_shape", sum_to_shape)]


def _grads_overwritten() -> list[Patch]:
    from reference_engine.autograd import graph  # noqa: PLC0415
    from reference_engine.tensor import Tensor  # noqa: PLC0415

    def apply(self: Any, grad: Any, owned: bool = False) -> tuple:
        if grad is not None:
            self.variable._grad = Tensor._make(grad._data.copy())  # the bug: no accumulation
        return ()

    return [(graph.AccumulateGrad, "apply", apply)]


def _retain_graph_ignored() -> list[Patch]:
    from reference_engine.autograd import graph  # noqa: PLC0415

    return [(graph.Node, "_release", lambda self: None)]  # the bug: saved tensors are never freed


def _version_not_bumped() -> list[Patch]:
    from reference_engine.ops import indexing, inplace  # noqa: PLC0415

    real = inplace.commit

    def commit(self: Any, result: Any) -> Any:
        version = self._vc[0]
        out = real(self, result)
        self._vc[0] = version  # the bug: in-place writes leave the version counter alone
        return out

    return [(inplace, "commit", commit), (indexing, "commit", commit)]


def _grad_dtype_not_cast() -> list[Patch]:
    from reference_engine.autograd import engine  # noqa: PLC0415

    def validate_grad(node: Any, index: int, grad: Any, target: Any, input_nr: int) -> Any:
        shape = target._meta(input_nr)[0]
        return engine.sum_to_shape(grad, shape) if grad._data.shape != shape else grad  # the bug: no dtype cast

    return [(engine, "validate_grad", validate_grad)]


def _zero_grad_leaves_zeros() -> list[Patch]:
    from reference_engine.optim import optimizer  # noqa: PLC0415

    real = optimizer.Optimizer.zero_grad
    return [(optimizer.Optimizer, "zero_grad", lambda self, set_to_none=True: real(self, set_to_none=False))]


def _momentum_buffer_updated_on_first_step() -> list[Patch]:
    from reference_engine.optim import sgd  # noqa: PLC0415
    from reference_engine.tensor import Tensor  # noqa: PLC0415

    real = sgd.SGD._update

    def update(self: Any, p: Any, group: dict) -> None:
        state = self.state[p]
        if group["momentum"] != 0 and state.get("momentum_buffer") is None:
            # the bug (a missing `else`): the buffer is seeded with the grad and then also gets the
            # momentum update on the same step, so step one uses (momentum + 1 - dampening) * grad
            state["momentum_buffer"] = Tensor._make(p._grad._data.copy())
        real(self, p, group)

    return [(sgd.SGD, "_update", update)]


def _detach_copies() -> list[Patch]:
    from reference_engine.tensor import Tensor  # noqa: PLC0415

    return [(Tensor, "detach", lambda self: Tensor._make(self._data.copy()))]  # the bug: storage not shared


def _no_grad_records() -> list[Patch]:
    from reference_engine.autograd import grad_mode  # noqa: PLC0415

    return [(grad_mode.no_grad, "_mode", True)]  # the bug: no_grad blocks still record graphs


MUTATIONS: tuple[Mutation, ...] = (
    Mutation("sin_derivative_sign", "sin' = -cos instead of cos", _sin_sign, ("programs",)),
    Mutation("sigmoid_derivative", "sigmoid' = 1 - s instead of s (1 - s)", _sigmoid_missing_factor, ("programs",)),
    Mutation("relu_grad_at_zero", "relu'(0) = 1", _relu_at_zero, ("programs",)),
    Mutation(
        "clamp_bounds_other_release",
        "clamp's grad at its bounds is the other torch release's (stopped under 2.13, passed under 2.14)",
        _clamp_wrong_bounds,
        ("programs",),
    ),
    Mutation(
        "maximum_ties_not_split",
        "maximum/minimum give the full grad to both sides of a tie",
        _maximum_ties_not_split,
        ("programs",),
    ),
    Mutation("mean_not_divided", "mean(dim) backward forgets to divide by the count", _mean_not_divided, ("programs",)),
    Mutation(
        "broadcast_not_undone", "sum_to_shape does not sum size-1 broadcast dims", _broadcast_not_undone, ("programs",)
    ),
    Mutation(
        "grads_overwritten", "AccumulateGrad overwrites .grad instead of adding", _grads_overwritten, ("sequences",)
    ),
    Mutation(
        "retain_graph_ignored",
        "saved tensors are never freed, so a second backward does not raise",
        _retain_graph_ignored,
        ("sequences",),
    ),
    Mutation("version_not_bumped", "in-place ops do not bump the version counter", _version_not_bumped, ("sequences",)),
    Mutation(
        "grad_dtype_not_cast",
        "validate_grad does not cast grads to the input's dtype",
        _grad_dtype_not_cast,
        ("programs",),
    ),
    Mutation(
        "zero_grad_leaves_zeros",
        "Optimizer.zero_grad() leaves zeros instead of None",
        _zero_grad_leaves_zeros,
        ("training",),
    ),
    Mutation(
        "momentum_buffer_initialised_wrongly",
        "SGD's momentum buffer is seeded with the grad and also updated on the first step",
        _momentum_buffer_updated_on_first_step,
        ("training",),
    ),
    Mutation("detach_copies", "detach() copies the data instead of sharing storage", _detach_copies, ("sequences",)),
    Mutation("no_grad_records", "no_grad blocks still record the graph", _no_grad_records, ("sequences",)),
)


# -- bounded runs of the generated checkers -------------------------------------------------------------

GENERATORS = ("programs", "sequences", "training")


def _settings(n: int) -> settings:
    # No shrinking: the meta-test asks "is it caught", and shrinking a caught bug costs the most time.
    return settings(
        max_examples=n, derandomize=True, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck), print_blob=False,
    )  # fmt: skip


def run_generator(name: str, examples: int) -> None:
    """Run one generated checker for ``examples`` examples; raises DivergenceError on the first divergence."""
    if name == "programs":
        test = _settings(examples)(given(strategies.programs())(strategies.check_program))
        test()
    elif name == "sequences":
        run_state_machine_as_test(strategies.autograd_machine(), settings=_settings(examples))
    else:
        _settings(examples)(given(strategies.training_runs())(strategies.check_training))()


# About 3x the latest catch point seen (relu'(0) needs a relu of an exact zero whose grad is not masked
# later): an edit to a checker's source reseeds the derandomized runs, and the catch must not hinge on it.
# programs: mean_not_divided was caught after 463 examples, and after 607 once optim exported LBFGS.
BUDGETS = {"programs": 1800, "sequences": 200, "training": 200}


def catching_generator(mutation: Mutation) -> tuple[str | None, str, int]:
    """The first generator whose bounded run catches ``mutation``, the first difference line, and how
    many generated examples ran before the catch (all generators together); None if nothing caught it."""
    count = strategies.EXAMPLES_RUN["count"]
    order = list(mutation.generators) + [g for g in GENERATORS if g not in mutation.generators]
    try:
        with mutation.applied():
            for name in order:
                try:
                    run_generator(name, BUDGETS[name])
                except strategies.DivergenceError as exc:
                    lines = str(exc).splitlines()
                    return (
                        name,
                        (lines[1] if len(lines) > 1 else lines[0]).strip(),
                        strategies.EXAMPLES_RUN["count"] - count,
                    )
        return None, "", strategies.EXAMPLES_RUN["count"] - count
    finally:
        strategies.EXAMPLES_RUN["count"] = count  # meta-test runs are not part of the generated-example count
