"""Hypothesis strategies that generate conformance checks, and the checkers that run them.

Three generators, each producing plain data that runs on any torch-like
namespace (``torch`` or ``reference_engine``):

- ``programs()``: small expression DAGs (``Program``), printable as a
  standalone torch script with ``Program.to_source()``;
- ``autograd_machine()``: a ``RuleBasedStateMachine`` driving autograd call
  sequences on both engines in lockstep;
- ``training_runs()``: small models trained for a few steps (``TrainingRun``).

Each ``check_*`` function runs one generated case on both engines and judges it
through ``conformance.generated`` (the verdict every item gets); a divergence the
registry does not expect raises ``DivergenceError`` (an AssertionError) whose
message and record hold the standalone script, so hypothesis' shrinking ends at
a minimal readable program, which becomes the item's reproducer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .compare import Tolerance
from .generated import EXAMPLES_RUN, DivergenceError, GeneratedCheck, compare, diverged
from .verdict import Verdict

__all__ = ["EXAMPLES_RUN", "DivergenceError"]  # re-exported: the checkers' callers catch and count through here

FLOAT_DTYPES = ("float32", "float64")

# Values with exact zeros, ties and the kinks of relu/abs/clamp (0, +-0.5) drawn often,
# bounded so that a few multiplications cannot overflow float32.
SPECIAL_VALUES = (0.0, 0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0)
_FLOATS = st.one_of(st.sampled_from(SPECIAL_VALUES), st.floats(-2, 2, width=32))


# -- observing ----------------------------------------------------------------------------------------


def _array(t: Any) -> np.ndarray:
    return np.array(t.detach().numpy(), copy=True)


def observe_tensor(label: str, t: Any, out: dict[str, Any], with_grad: bool = True) -> None:
    """Record a tensor's value, dtype, grad_fn name, flags and (optionally) its .grad under ``label``."""
    if t is None:
        out[label] = None
        return
    out[label] = _array(t)
    out[label + ".meta"] = (str(t.dtype), type(t.grad_fn).__name__ if t.grad_fn is not None else None, t.requires_grad)
    if with_grad and (t.is_leaf or t.retains_grad):
        g = t.grad
        out[label + ".grad"] = None if g is None else _array(g)


def error_of(exc: BaseException) -> tuple[str, str]:
    return (type(exc).__name__, str(exc))


# -- programs ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    name: str
    values: tuple[float, ...]
    shape: tuple[int, ...]
    dtype: str
    requires_grad: bool

    def nested(self, dtype: str | None = None) -> Any:
        arr = np.array(self.values, dtype=np.float64).reshape(self.shape)
        return arr.astype(np.int64).tolist() if (dtype or self.dtype) == "int64" else arr.tolist()

    def source(self, dtype: str | None = None) -> str:
        rg = ", requires_grad=True" if self.requires_grad else ""
        return f"{self.name} = torch.tensor({self.nested(dtype)!r}, dtype=torch.{dtype or self.dtype}{rg})"

    def make(self, ns: Any, dtype: str | None = None) -> Any:
        return ns.tensor(self.nested(dtype), dtype=getattr(ns, dtype or self.dtype), requires_grad=self.requires_grad)


@dataclass(frozen=True)
class Step:
    name: str
    expr: str  # a Python expression over earlier names and ``torch``
    shape: tuple[int, ...]
    dtype: str


@dataclass(frozen=True)
class Seed:
    """How backward is called on the program's output."""

    kind: str  # implicit | implicit_nonscalar | explicit | other_dtype | wrong_shape
    values: tuple[float, ...] = ()
    shape: tuple[int, ...] = ()
    dtype: str = "float32"

    def source(self, out: str) -> str:
        if self.kind == "implicit":
            return f"{out}.sum().backward()"
        if self.kind == "implicit_nonscalar":
            return f"{out}.backward()"
        vals = np.array(self.values, dtype=np.float64).reshape(self.shape).tolist()
        return f"{out}.backward(torch.tensor({vals!r}, dtype=torch.{self.dtype}))"


@dataclass(frozen=True)
class Program:
    leaves: tuple[Leaf, ...]
    steps: tuple[Step, ...]
    seed: Seed
    dtype: str

    @property
    def output(self) -> str:
        return self.steps[-1].name

    def statements(self, dtype: str | None = None) -> list[str]:
        return [lf.source(self._leaf_dtype(lf, dtype)) for lf in self.leaves] + [
            f"{s.name} = {s.expr}" for s in self.steps
        ]

    def _leaf_dtype(self, leaf: Leaf, dtype: str | None) -> str | None:
        return dtype if dtype and leaf.dtype in FLOAT_DTYPES else None

    def to_source(self) -> str:
        """A standalone torch script: run it with ``python`` to see torch's answer."""
        lines = ["import torch", "", *self.statements(), self.seed.source(self.output)]
        lines += [f"print({lf.name!r}, {lf.name}.grad)" for lf in self.leaves if lf.requires_grad]
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:  # hypothesis prints this for the falsifying example
        return "Program(\n" + self.to_source() + ")"

    def run(
        self, ns: Any, leaf_values: dict[str, np.ndarray] | None = None, dtype: str | None = None
    ) -> dict[str, Any]:
        """Execute on ``ns``; returns every value, dtype, grad_fn name and leaf grad, or the error raised."""
        env: dict[str, Any] = {"torch": ns}
        out: dict[str, Any] = {}
        try:
            for lf in self.leaves:
                if leaf_values is not None and lf.name in leaf_values:
                    arr = leaf_values[lf.name]
                    env[lf.name] = ns.tensor(
                        arr.tolist(), dtype=getattr(ns, str(arr.dtype)), requires_grad=lf.requires_grad
                    )
                else:
                    env[lf.name] = lf.make(ns, self._leaf_dtype(lf, dtype))
            for s in self.steps:
                env[s.name] = eval(s.expr, env)  # the program is data this module generated
            exec(self.seed.source(self.output), env)
        except Exception as exc:  # noqa: BLE001 - any error is an observation to compare
            out["error"] = error_of(exc)
        for name in [lf.name for lf in self.leaves] + [s.name for s in self.steps]:
            if name in env:
                observe_tensor(name, env[name], out)
        return out


def _pick_dim(draw: Any, ndim: int) -> int:
    return draw(st.integers(-ndim, ndim - 1))


class _Builder:
    """Grows a program one step at a time, tracking every name's shape and dtype."""

    def __init__(self, draw: Any, dtype: str) -> None:
        self.draw, self.dtype = draw, dtype
        self.leaves: list[Leaf] = []
        self.steps: list[Step] = []
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.dtypes: dict[str, str] = {}

    def leaf(self, shape: tuple[int, ...], dtype: str | None = None, requires_grad: bool | None = None) -> str:
        draw = self.draw
        dtype = dtype or draw(st.sampled_from([self.dtype] * 6 + ["int64", _other(self.dtype)]))
        n = int(np.prod(shape))
        if dtype == "int64":
            vals = tuple(float(v) for v in draw(st.lists(st.integers(-2, 2), min_size=n, max_size=n)))
        else:
            vals = tuple(draw(st.lists(_FLOATS, min_size=n, max_size=n)))
        if requires_grad is None:
            requires_grad = dtype != "int64" and draw(st.integers(0, 5)) > 0
        name = f"x{len(self.leaves)}"
        self.leaves.append(Leaf(name, vals, tuple(shape), dtype, requires_grad and dtype != "int64"))
        self.shapes[name], self.dtypes[name] = tuple(shape), dtype
        return name

    def add(self, expr: str, shape: tuple[int, ...], dtype: str) -> str:
        name = f"v{len(self.steps)}"
        self.steps.append(Step(name, expr, tuple(shape), dtype))
        self.shapes[name], self.dtypes[name] = tuple(shape), dtype
        return name

    def float_names(self) -> list[str]:
        return [n for n, d in self.dtypes.items() if d in FLOAT_DTYPES]


def _other(dtype: str) -> str:
    return "float64" if dtype == "float32" else "float32"


def _promote(a: str, b: str) -> str:
    if a == "int64":
        return b
    if b == "int64":
        return a
    return "float64" if "float64" in (a, b) else "float32"


UNARY = {
    "relu": "torch.relu({a})",
    "abs": "{a}.abs()",
    "tanh": "torch.tanh({a})",
    "sigmoid": "torch.sigmoid({a})",
    "sin": "{a}.sin()",
    "neg": "-{a}",
    "square": "{a} * {a}",  # the same input twice: grads from both edges accumulate
    "clamp": "{a}.clamp({lo}, {hi})",
}
BINARY = {
    "add": "{a} + {b}",
    "sub": "{a} - {b}",
    "mul": "{a} * {b}",
    "maximum": "torch.maximum({a}, {b})",
    "minimum": "torch.minimum({a}, {b})",
    "div": "{a} / ({b}.abs() + 1)",  # a denominator >= 1: no inf from the exact zeros
}
REDUCTIONS = ("sum", "mean", "amax")


def _unary(b: _Builder, a: str) -> str:
    op = b.draw(st.sampled_from(sorted(UNARY)))
    lo, hi = b.draw(st.sampled_from([(-0.5, 0.5), (0.0, None), (None, 0.5), (0.0, 0.0)]))
    return b.add(UNARY[op].format(a=a, lo=lo, hi=hi), b.shapes[a], b.dtypes[a])


def _binary(b: _Builder, a: str) -> str:
    draw = b.draw
    shape = b.shapes[a]
    partners = [n for n in b.shapes if n != a and _broadcasts(shape, b.shapes[n])]
    if partners and draw(st.booleans()):
        other = draw(st.sampled_from(partners))  # a shared subexpression
    else:
        other = b.leaf(draw(hnp.broadcastable_shapes(shape, min_side=1, max_side=3, max_dims=3)))
    op = draw(st.sampled_from(sorted(BINARY)))
    out_shape = np.broadcast_shapes(shape, b.shapes[other])
    return b.add(BINARY[op].format(a=a, b=other), out_shape, _promote(b.dtypes[a], b.dtypes[other]))


def _broadcasts(s1: tuple[int, ...], s2: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(s1, s2)
    except ValueError:
        return False
    return True


def _reduce(b: _Builder, a: str) -> str:
    shape = b.shapes[a]
    op = b.draw(st.sampled_from(REDUCTIONS))
    if not shape or b.draw(st.integers(0, 4)) == 0:
        return b.add(f"{a}.{op}()", (), b.dtypes[a])
    dim, keep = _pick_dim(b.draw, len(shape)), b.draw(st.booleans())
    out = list(shape)
    if keep:
        out[dim] = 1
    else:
        del out[dim]
    return b.add(f"{a}.{op}(dim={dim}, keepdim={keep})", tuple(out), b.dtypes[a])


def _view(b: _Builder, a: str) -> str:
    draw, shape = b.draw, b.shapes[a]
    kinds = ["reshape", "unsqueeze"] + (["permute", "transpose", "select", "slice"] if shape else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "reshape":
        return b.add(f"{a}.reshape(-1)", (int(np.prod(shape)),), b.dtypes[a])
    if kind == "unsqueeze":
        d = draw(st.integers(-len(shape) - 1, len(shape)))
        out = list(shape)
        out.insert(d if d >= 0 else len(shape) + 1 + d, 1)
        return b.add(f"{a}.unsqueeze({d})", tuple(out), b.dtypes[a])
    if kind == "permute":
        perm = draw(st.permutations(range(len(shape))))
        return b.add(f"{a}.permute({tuple(perm)!r})", tuple(shape[p] for p in perm), b.dtypes[a])
    if kind == "transpose":
        i, j = _pick_dim(draw, len(shape)), _pick_dim(draw, len(shape))
        out = list(shape)
        out[i], out[j] = out[j], out[i]
        return b.add(f"{a}.transpose({i}, {j})", tuple(out), b.dtypes[a])
    if kind == "select":
        idx = draw(st.integers(-shape[0], shape[0] - 1))
        return b.add(f"{a}[{idx}]", shape[1:], b.dtypes[a])
    start = draw(st.integers(0, shape[-1] - 1))
    return b.add(f"{a}[..., {start}:]", (*shape[:-1], shape[-1] - start), b.dtypes[a])


def _matmul(b: _Builder, a: str) -> str:
    shape = b.shapes[a]
    if not shape or len(shape) > 3 or b.dtypes[a] == "int64":
        return _unary(b, a)
    m = b.draw(st.integers(1, 3))
    w = b.leaf((shape[-1], m), dtype=b.dtypes[a])
    return b.add(f"{a} @ {w}", (*shape[:-1], m), b.dtypes[a])


BUILDERS = (_unary, _binary, _reduce, _view, _matmul)


@st.composite
def gradient_seeds(draw: Any, shape: tuple[int, ...], dtype: str) -> Seed:
    """Implicit (scalar) seeds, explicit ones of the output's shape, of the other dtype, or of a wrong shape."""
    kinds = ["implicit", "implicit", "explicit", "other_dtype", "wrong_shape"] + (
        ["implicit_nonscalar"] if shape else []
    )
    kind = draw(st.sampled_from(kinds))
    if kind.startswith("implicit"):
        return Seed(kind)
    if kind == "wrong_shape":
        shape = (*shape, 2) if draw(st.booleans()) or not shape else (*shape[:-1], shape[-1] + 1)
    n = int(np.prod(shape))
    vals = tuple(draw(st.lists(_FLOATS, min_size=n, max_size=n)))
    return Seed(kind, vals, tuple(shape), _other(dtype) if kind == "other_dtype" else dtype)


@st.composite
def programs(draw: Any, max_steps: int = 6, dtypes: tuple[str, ...] = FLOAT_DTYPES) -> Program:
    """A random expression DAG ending in a backward call."""
    dtype = draw(st.sampled_from(dtypes))
    b = _Builder(draw, dtype)
    (s0, s1), _ = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3))
    b.leaf(s0, dtype=dtype, requires_grad=True)
    if draw(st.booleans()):
        b.leaf(s1, dtype=dtype)
    for _ in range(draw(st.integers(1, max_steps))):
        names = b.float_names()
        # the latest value most of the time, so programs are deep as well as wide
        a = names[-1] if draw(st.integers(0, 2)) else draw(st.sampled_from(names))
        draw(st.sampled_from(BUILDERS))(b, a)
    if b.dtypes[b.steps[-1].name] not in FLOAT_DTYPES:
        b.add(f"{b.steps[-1].name} * 1.0", b.shapes[b.steps[-1].name], "float32")
    last = b.steps[-1]
    seed = draw(gradient_seeds(last.shape, last.dtype))
    return Program(tuple(b.leaves), tuple(b.steps), seed, dtype)


SESSION_SEED: dict[str, Any] = {"seed": None}  # set by tests/conftest.py when the session has a fixed seed


def replay_hint() -> str:
    """How to replay this failure: the session seed, or the derandomized profile."""
    from hypothesis import settings  # noqa: PLC0415

    seed = SESSION_SEED["seed"]
    if seed is not None:
        how = f"pytest <this test> --hypothesis-seed={seed}"
    elif settings.default.derandomize:
        how = "rerun this test under the same profile (derandomized: the same examples every run)"
    else:
        how = "rerun with --hypothesis-seed=<seed in the session header>"
    return f"replay: {how}; the @reproduce_failure line hypothesis prints replays this exact example"


def check_program(program: Program) -> None:
    """Run ``program`` on both engines; raise DivergenceError (with the script and an oracle label) if they differ."""
    import torch  # noqa: PLC0415

    import reference_engine  # noqa: PLC0415

    EXAMPLES_RUN["count"] += 1
    engine, expected = program.run(reference_engine), program.run(torch)
    verdict = compare(PROGRAM_CHECK, engine, expected, program.dtype)
    if verdict.agree:
        return
    label = _oracle_label(program, engine, expected, verdict)
    diverged("programs", verdict, "engine and torch differ:", program.to_source(), replay_hint(), f"oracle: {label}\n")


PROGRAM_CHECK = GeneratedCheck("programs")


def _oracle_label(program: Program, engine: dict[str, Any], expected: dict[str, Any], verdict: Verdict) -> str:
    from .oracle import program_verdict  # noqa: PLC0415

    if not any(d.label.endswith(".grad") for d in verdict.differences):
        return "not a gradient divergence"
    try:
        return program_verdict(program, engine, expected).describe()
    except Exception as exc:  # noqa: BLE001 - the divergence itself is the finding; the label is a bonus
        return f"oracle could not run: {error_of(exc)}"


# -- training runs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingRun:
    sizes: tuple[int, ...]
    activation: str
    loss: str
    optimizer: str
    options: tuple[tuple[str, Any], ...]
    frozen: tuple[bool, ...]
    steps: int
    dtype: str
    seed: int
    set_to_none: bool = True
    batch: int = 3
    conv: tuple[int, int, int, int] | None = None  # (in channels, out channels, kernel, height = width)

    def to_source(self) -> str:
        layers = []
        if self.conv:
            c, o, k, _ = self.conv
            layers += [f"torch.nn.Conv2d({c}, {o}, {k})", f"torch.nn.{self.activation}()", "torch.nn.Flatten()"]
        for i in range(len(self.sizes) - 1):
            layers.append(f"torch.nn.Linear({self.sizes[i]}, {self.sizes[i + 1]})")
            if i < len(self.sizes) - 2:
                layers.append(f"torch.nn.{self.activation}()")
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options)
        return (
            "\n".join(
                [
                    "import numpy as np",
                    "import torch",
                    "",
                    f"rng = np.random.default_rng({self.seed})",
                    f"model = torch.nn.Sequential({', '.join(layers)}).to(torch.{self.dtype})",
                    "with torch.no_grad():",
                    "    for p in model.parameters():",
                    "        p.copy_(torch.tensor(rng.uniform(-1, 1, tuple(p.shape))))",
                    f"for p, frozen in zip(model.parameters(), {list(self.frozen)!r}):",
                    "    p.requires_grad_(not frozen)",
                    f"opt = torch.optim.{self.optimizer}([p for p in model.parameters() if p.requires_grad], {opts})",
                    f"x = torch.tensor(rng.uniform(-2, 2, {self._input_shape()!r}), dtype=torch.{self.dtype})",
                    self._target_source(),
                    f"loss_fn = torch.nn.{self.loss}()",
                    f"for step in range({self.steps}):",
                    f"    opt.zero_grad(set_to_none={self.set_to_none})",
                    "    print(step, 'grads after zero_grad', [p.grad for p in model.parameters()])",
                    "    loss = loss_fn(model(x), target)",
                    "    loss.backward()",
                    "    print(step, 'grads', [p.grad for p in model.parameters()])",
                    "    opt.step()",
                    "    print(step, 'loss', [loss.detach()])",
                    "    print(step, 'params', [p.detach().clone() for p in model.parameters()])",
                ]
            )
            + "\n"
        )

    def _input_shape(self) -> tuple[int, ...]:
        if self.conv:
            c, _, _, hw = self.conv
            return (self.batch, c, hw, hw)
        return (self.batch, self.sizes[0])

    def _target_source(self) -> str:
        if self.loss == "CrossEntropyLoss":
            return f"target = torch.tensor(rng.integers(0, {self.sizes[-1]}, {self.batch}))"
        return f"target = torch.tensor(rng.uniform(-1, 1, ({self.batch}, {self.sizes[-1]})), dtype=torch.{self.dtype})"

    def __repr__(self) -> str:
        return "TrainingRun(\n" + self.to_source() + ")"

    def run(self, ns: Any) -> dict[str, Any]:
        """Train on ``ns`` and record loss, parameters, grads and optimizer state after every step."""
        src = self.to_source().replace("import torch\n", "").replace("    print(step", "    record(step")
        out: dict[str, Any] = {}

        def record(step: int, what: str, tensors: list) -> None:
            for i, t in enumerate(tensors):
                out[f"step{step}.{what}[{i}]"] = None if t is None else _array(t)

        env: dict[str, Any] = {"torch": ns, "record": record}
        try:
            exec(src, env)  # the script is text this module generated from plain data
        except Exception as exc:  # noqa: BLE001 - errors are observations
            out["error"] = error_of(exc)
        return out


OPTIMIZERS: dict[str, Any] = {
    "SGD": st.fixed_dictionaries(
        {
            "lr": st.sampled_from([0.1, 0.01]),
            "momentum": st.sampled_from([0.0, 0.9]),
            "dampening": st.sampled_from([0.0, 0.5]),
            "weight_decay": st.sampled_from([0.0, 0.01]),
            "nesterov": st.booleans(),
        }
    ),
    "Adam": st.fixed_dictionaries(
        {
            "lr": st.sampled_from([0.01, 0.001]),
            "weight_decay": st.sampled_from([0.0, 0.01]),
            "amsgrad": st.booleans(),
        }
    ),
    "RMSprop": st.fixed_dictionaries(
        {
            "lr": st.sampled_from([0.01, 0.001]),
            "momentum": st.sampled_from([0.0, 0.5]),
            "centered": st.booleans(),
        }
    ),
}


@st.composite
def training_runs(draw: Any, max_steps: int = 4) -> TrainingRun:
    sizes = tuple(draw(st.lists(st.integers(1, 4), min_size=2, max_size=4)))
    conv = None
    if draw(st.integers(0, 3)) == 0:  # a Conv2d -> activation -> Flatten front end
        c, o, k = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
        hw = draw(st.integers(k, 3))
        conv = (c, o, k, hw)
        sizes = (o * (hw - k + 1) ** 2, *sizes[1:])
    opt = draw(st.sampled_from(sorted(OPTIMIZERS)))
    options = draw(OPTIMIZERS[opt])
    if opt == "SGD" and (options["momentum"] == 0 or options["dampening"] != 0):
        options["nesterov"] = False  # torch: Nesterov momentum requires a momentum and zero dampening
    n_params = 2 * (len(sizes) - 1) + (2 if conv else 0)
    frozen = tuple(draw(st.lists(st.booleans(), min_size=n_params, max_size=n_params)))
    if all(frozen):
        frozen = (False, *frozen[1:])  # an optimizer needs at least one parameter
    return TrainingRun(
        sizes=sizes,
        activation=draw(st.sampled_from(["ReLU", "Tanh", "Sigmoid", "Identity"])),
        loss=draw(st.sampled_from(["MSELoss", "CrossEntropyLoss"])),
        optimizer=opt,
        options=tuple(sorted(options.items())),
        frozen=frozen,
        steps=draw(st.integers(1, max_steps)),
        dtype=draw(st.sampled_from(FLOAT_DTYPES)),
        seed=draw(st.integers(0, 2**16)),
        set_to_none=draw(st.booleans()),
        conv=conv,
    )


# Training compounds a few ulps per op over several steps (see optim/sgd.py on fused rounding):
# allow 10x assert_close's float32 defaults, and keep float64 at its defaults.
TRAINING_TOLERANCE = {"float32": Tolerance(1.3e-5, 1e-4, "several optimizer steps"), "float64": None}
# The run's tolerance holds for every float value it records (the verdict looks tolerances up by the value's dtype).
TRAINING_CHECKS = {
    dtype: GeneratedCheck("training", {d: tol for d in FLOAT_DTYPES} if tol else {})
    for dtype, tol in TRAINING_TOLERANCE.items()
}


def check_training(run: TrainingRun) -> None:
    import torch  # noqa: PLC0415

    import reference_engine  # noqa: PLC0415

    EXAMPLES_RUN["count"] += 1
    engine, expected = run.run(reference_engine), run.run(torch)
    verdict = compare(TRAINING_CHECKS[run.dtype], engine, expected, run.dtype)
    if not verdict.agree:  # the differences come in torch's recording order: the first step first
        diverged("training", verdict, "training diverged (first step listed first):", run.to_source(), replay_hint())


# -- autograd call sequences ------------------------------------------------------------------------
# Each rule is one line of torch source over three lists: L (leaves), G (graph values), calls (hook
# calls). The same line runs on both engines, then everything observable is compared, so a failure
# names the first divergent step and the transcript so far is a standalone torch script.

GRAPH_OPS = {
    "mul": "{a} * {b}",
    "tanh": "torch.tanh({a})",  # saves its result: an in-place change to it must break backward
    "relu": "torch.relu({a})",
    "square": "{a} * {a}",
    "sigmoid": "torch.sigmoid({a})",
    "add_broadcast": "{a} + {b}.sum()",
}
_IDX = st.integers(0, 7)
VIEWS = {  # views that keep the 3-element shape, so they mix with every other value
    "slice": "{a}[:]",
    "view": "{a}.view(-1)",
    "unsqueeze_select": "{a}.unsqueeze(0)[0]",
    "narrow": "{a}.narrow(0, 0, 3)",
}


SEQUENCE_CHECK = GeneratedCheck("autograd-sequences")


def _world(ns: Any) -> dict[str, Any]:
    return {"torch": ns, "L": [], "G": [], "calls": []}


def observe_world(env: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"calls": len(env["calls"])}
    for kind in ("L", "G"):
        for i, t in enumerate(env[kind]):
            observe_tensor(f"{kind}[{i}]", t, out)
            out[f"{kind}[{i}].version"] = t._version
    return out


def autograd_machine() -> type:
    from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule  # noqa: PLC0415

    class _Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            import torch  # noqa: PLC0415

            import reference_engine  # noqa: PLC0415

            super().__init__()
            EXAMPLES_RUN["count"] += 1
            self.worlds = {"engine": _world(reference_engine), "torch": _world(torch)}
            self.transcript = ["import torch", "", "L, G, calls = [], [], []"]

        def do(self, line: str) -> None:
            errors = {}
            for side, env in self.worlds.items():
                try:
                    exec(line, env)  # generated from the rule's template, over L, G and calls
                    errors[side] = None
                except Exception as exc:  # noqa: BLE001 - errors are compared like values
                    errors[side] = error_of(exc)
            self.transcript.append(line + (f"  # raises {errors['torch'][0]}" if errors["torch"] else ""))
            seen = {}
            for side, env in self.worlds.items():
                seen[side] = observe_world(env)
                if errors[side]:
                    seen[side]["error"] = errors[side]  # this step's error, compared like the values
            verdict = compare(SEQUENCE_CHECK, seen["engine"], seen["torch"])
            if not verdict.agree:
                transcript = "\n".join(self.transcript) + "\n"
                diverged("autograd-sequences", verdict, "engine and torch differ after the last step:", transcript,
                         replay_hint())  # fmt: skip

        def n(self, kind: str) -> int:
            return len(self.worlds["torch"][kind])

        def ref(self, i: int, from_graph: bool = False) -> str:
            """``G[i]`` (when asked and G is not empty) or ``L[i]``, ``i`` wrapped to the list's length."""
            src = "G" if from_graph and self.n("G") else "L"
            return f"{src}[{i % self.n(src)}]"

        @initialize(values=st.lists(_FLOATS, min_size=3, max_size=3))
        def first_leaf(self, values: list[float]) -> None:
            self.do(f"L.append(torch.tensor({values!r}, requires_grad=True))")

        @precondition(lambda self: self.n("L") < 4)
        @rule(values=st.lists(_FLOATS, min_size=3, max_size=3), dtype=st.sampled_from(FLOAT_DTYPES))
        def new_leaf(self, values: list[float], dtype: str) -> None:
            self.do(f"L.append(torch.tensor({values!r}, dtype=torch.{dtype}, requires_grad=True))")

        @precondition(lambda self: self.n("G") < 8)
        @rule(op=st.sampled_from(sorted(GRAPH_OPS)), i=_IDX, j=_IDX, from_graph=st.booleans())
        def build(self, op: str, i: int, j: int, from_graph: bool) -> None:
            self.do(f"G.append({GRAPH_OPS[op].format(a=self.ref(i, from_graph), b=self.ref(j))})")

        @precondition(lambda self: 0 < self.n("G") < 8)
        @rule(i=_IDX)
        def build_under_no_grad(self, i: int) -> None:
            self.do(f"with torch.no_grad():\n    G.append(L[{i % self.n('L')}] * 3)")

        @precondition(lambda self: self.n("G") > 0)
        @rule(g=_IDX, retain=st.booleans(), times=st.integers(1, 2))
        def backward(self, g: int, retain: bool, times: int) -> None:
            # twice in one step as often as once: accumulation across backward calls is the point
            call = f"G[{g % self.n('G')}].sum().backward(retain_graph={retain})"
            self.do("\n".join([call] * times))

        @rule(i=_IDX, none=st.booleans())
        def clear_grad(self, i: int, none: bool) -> None:
            leaf = f"L[{i % self.n('L')}]"
            self.do(f"{leaf}.grad = None" if none else f"if {leaf}.grad is not None:\n    {leaf}.grad.zero_()")

        @rule(i=_IDX, flag=st.booleans())
        def freeze(self, i: int, flag: bool) -> None:
            self.do(f"L[{i % self.n('L')}].requires_grad_({flag})")

        @rule(i=_IDX, guarded=st.booleans())
        def inplace_leaf(self, i: int, guarded: bool) -> None:
            line = f"L[{i % self.n('L')}].add_(1)"  # unguarded on a leaf that requires grad: must raise
            self.do(f"with torch.no_grad():\n    {line}" if guarded else line)

        @precondition(lambda self: self.n("G") > 0)
        @rule(g=_IDX, through_detach=st.booleans())
        def inplace_graph(self, g: int, through_detach: bool) -> None:
            self.do(f"G[{g % self.n('G')}]{'.detach()' if through_detach else ''}.mul_(2)")

        @precondition(lambda self: self.n("G") < 8)
        @rule(view=st.sampled_from(sorted(VIEWS)), i=_IDX, from_graph=st.booleans())
        def take_view(self, view: str, i: int, from_graph: bool) -> None:
            # a view shares storage and version with its base: an in-place op on either must show in the
            # other's values and history (torch regenerates the view's grad_fn)
            self.do(f"G.append({VIEWS[view].format(a=self.ref(i, from_graph))})")

        @precondition(lambda self: 0 < self.n("G") < 8)
        @rule(g=_IDX)
        def detach(self, g: int) -> None:
            self.do(f"G.append(G[{g % self.n('G')}].detach())")

        @precondition(lambda self: self.n("G") > 0)
        @rule(g=_IDX)
        def retain_grad(self, g: int) -> None:
            self.do(f"G[{g % self.n('G')}].retain_grad()")

        @rule(i=_IDX)
        def hook(self, i: int) -> None:
            self.do(f"L[{i % self.n('L')}].register_hook(lambda g: (calls.append(1), g * 2)[1])")

    return _Machine
