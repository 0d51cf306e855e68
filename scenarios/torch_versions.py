"""Behaviour that differs between the torch releases the engine mirrors (reference_engine/_torch_version.py).

Each scenario runs against the installed torch, with the engine set to mirror that release; each is marked
``versioned`` so that a run against another torch than the baseline's lists it as version-dependent.
"""

from conformance import scenario

CLAMP = "torch 2.14: clamp's gradient is zero at a number bound, and a tie with a tensor bound splits it in halves"


@scenario(tags=["pointwise"], dtypes=["float32", "float64"], versioned=CLAMP)
def clamp_family_gradients_at_ties(torch, check):
    x = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    for name, f in (
        ("clamp", lambda t: t.clamp(-1, 1)),
        ("clamp min only", lambda t: torch.clamp(t, min=1)),
        ("clamp max only", lambda t: torch.clamp(t, max=-1)),
        ("clamp_min", lambda t: t.clamp_min(1)),
        ("clamp_max", lambda t: t.clamp_max(-1)),
        ("clip", lambda t: torch.clip(t, -1, 1)),
        ("clamp_ on a copy", lambda t: t.clone().clamp_(-1, 1)),
        ("equal bounds", lambda t: t.clamp(1, 1)),
        ("crossed bounds", lambda t: t.clamp(2, 0)),
    ):
        y = f(x)
        check(f"{name} node", y.grad_fn.name())
        (g,) = torch.autograd.grad(y.sum(), x)
        check(f"{name} grad", g)


@scenario(tags=["pointwise"], dtypes=["float32", "float64"], versioned=CLAMP)
def clamp_tensor_bounds_split_ties(torch, check):
    # every order of (x, min, max) over three values, ties included
    vals = [0.0, 1.0, 2.0]
    grid = [(a, b, c) for a in vals for b in vals for c in vals]
    x = torch.tensor([g[0] for g in grid], requires_grad=True)
    lo = torch.tensor([g[1] for g in grid], requires_grad=True)
    hi = torch.tensor([g[2] for g in grid], requires_grad=True)
    y = torch.clamp(x, lo, hi)
    check("node", y.grad_fn.name())
    check("grads", torch.autograd.grad(y.sum(), (x, lo, hi)))
    for name, f in (("clamp_min", torch.clamp_min), ("clamp_max", torch.clamp_max), ("min=", None)):
        y = f(x, lo) if f is not None else torch.clamp(x, min=lo)
        check(f"{name} grads", torch.autograd.grad(y.sum(), (x, lo)))
    nan = torch.tensor([0.0, 1.0, 2.0, float("nan")], requires_grad=True)
    lo2 = torch.tensor([1.0, float("nan"), 1.0, 1.0], requires_grad=True)
    hi2 = torch.tensor([2.0, 2.0, float("nan"), 2.0], requires_grad=True)
    check("NaN rows", torch.autograd.grad(torch.clamp(nan, lo2, hi2).sum(), (nan, lo2, hi2)))


@scenario(tags=["errors"], versioned="torch 2.14: negating or subtracting bool tensors raises NotImplementedError")
def bool_negation_and_subtraction_errors(torch, check):
    b = torch.tensor([True, False])
    check.error("-b", lambda: -b)
    check.error("neg", lambda: torch.neg(b))
    check.error("negative", lambda: torch.negative(b))
    check.error("neg_", lambda: b.clone().neg_())
    check.error("b - b", lambda: b - b)
    check.error("sub", lambda: torch.sub(b, b))
    check.error("sub_", lambda: b.clone().sub_(b))
    check.error("rsub", lambda: torch.rsub(b, b))
    check.error("b - True", lambda: b - True)


@scenario(tags=["linalg", "errors"], versioned="torch 2.14 removed torch.cholesky and torch.qr (and their methods)")
def removed_cholesky_and_qr(torch, check):
    a = torch.tensor([[4.0, 1.0], [1.0, 3.0]])
    check("torch.cholesky exists", hasattr(torch, "cholesky"))
    check("torch.qr exists", hasattr(torch, "qr"))
    check.error("torch.cholesky", lambda: torch.cholesky(a))
    check.error("upper", lambda: torch.cholesky(a, upper=True))
    check.error("Tensor.cholesky", lambda: a.cholesky())
    check.error("torch.qr", lambda: torch.qr(a))
    check.error("qr some=False", lambda: torch.qr(a, some=False))
    check.error("Tensor.qr", lambda: a.qr())
    check("linalg.cholesky", torch.linalg.cholesky(a))
    check("linalg.qr", torch.linalg.qr(a))


def _chain(node):
    names = []
    while node is not None:
        names.append(node.name())
        node = node.next_functions[0][0] if node.next_functions else None
    return " > ".join(names)


@scenario(
    tags=["reductions"],
    dtypes=["float32", "float64"],
    versioned="torch 2.14: quantile picks the neighbours of a rank without SortBackward0 (rows of 4 or more)",
)
def quantile_graph_and_grads(torch, check):
    base = check.data((3, 4), seed=7, requires_grad=True)
    for label, x, q, dim in (
        ("row of 4", base, 0.3, 1),
        ("column of 3", base, 0.3, 0),
        ("flattened", base, torch.tensor([0.25, 0.7], dtype=base.dtype), None),
        ("transposed rows", base.t(), 0.6, 0),
        ("transposed, last dim", base.t(), 0.6, -1),
    ):
        y = torch.quantile(x, q, dim=dim)
        check(f"{label} chain", _chain(y.grad_fn))
        check(f"{label} values", y)
        check(f"{label} grad", torch.autograd.grad(y.sum(), base))
    y = torch.nanquantile(base, 0.5, dim=1, interpolation="midpoint")
    check("nanquantile chain", _chain(y.grad_fn))
    check("nanquantile grad", torch.autograd.grad(y.sum(), base))


@scenario(
    tags=["double_backward", "nn"],
    dtypes=["float64"],
    versioned="torch 2.14: group_norm's double backward gives weight and bias zero tensors, not None",
)
def group_norm_second_order_grads(torch, check):
    x = check.data((2, 4, 3), seed=3, requires_grad=True)
    w = check.data((4,), seed=4, requires_grad=True)
    b = check.data((4,), seed=5, requires_grad=True)
    y = torch.nn.functional.group_norm(x, 2, w, b)
    gx, gw, gb = torch.autograd.grad(y.sum(), (x, w, b), create_graph=True)
    check("gb requires grad", gb.requires_grad)
    for name, g in (("gx", gx), ("gw", gw)):
        check(f"d {name}", torch.autograd.grad(g.sum(), (x, w, b), allow_unused=True, retain_graph=True))


@scenario(tags=["linalg"], dtypes=["float64"], versioned="torch 2.14 added linalg.matrix_sqrth and linalg.polar")
def matrix_sqrth_and_polar(torch, check):
    check("has matrix_sqrth", hasattr(torch.linalg, "matrix_sqrth"))
    check("has polar", hasattr(torch.linalg, "polar"))
    if not hasattr(torch.linalg, "polar"):
        check.error("matrix_sqrth", lambda: torch.linalg.matrix_sqrth(torch.eye(2)))
        return
    m = check.data((3, 3), seed=11)
    a = (m @ m.mT + 3 * torch.eye(3, dtype=m.dtype)).requires_grad_()
    x = torch.linalg.matrix_sqrth(a)
    check("sqrt", x)
    check("sqrt node", x.grad_fn.name())
    check("sqrt grad", torch.autograd.grad(x, a, check.data((3, 3), seed=12)))
    check("clamped eigenvalues", torch.linalg.matrix_sqrth(torch.tensor([[1.0, 0.0], [0.0, -4.0]])))
    t = check.data((5, 3), seed=13, requires_grad=True)
    u, h = torch.linalg.polar(t)
    check("U", u)
    check("H", h)
    check("polar grad", torch.autograd.grad((u, h), t, (check.data((5, 3), seed=14), check.data((3, 3), seed=15))))
    check.error("wide", lambda: torch.linalg.polar(torch.randn(2, 3)))
    check.error("integer", lambda: torch.linalg.matrix_sqrth(torch.eye(2, dtype=torch.int64)))
