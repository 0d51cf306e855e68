"""Reductions, indexing and matrix products under autograd."""

from conformance import scenario


@scenario(tags=["reductions"], dtypes=["float32", "float64"])
def mean_and_sum_over_dims(torch, check):
    x = check.data((3, 4), seed=40, requires_grad=True)
    y = x.mean(dim=0).sum() + x.sum(dim=1, keepdim=True).pow(2).sum()
    check("y", y)
    y.backward()
    check("x.grad", x.grad)


@scenario(tags=["reductions"], dtypes=["float32", "float64"])
def max_with_ties_splits_gradient(torch, check):
    x = torch.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    check("x.grad", x.grad)


@scenario(tags=["indexing"], dtypes=["float32", "float64"])
def basic_and_advanced_indexing_grads(torch, check):
    x = check.data((4, 3), seed=41, requires_grad=True)
    y = x[1:3, 0].sum() + x[torch.tensor([0, 0, 2])].sum()
    check("y", y)
    y.backward()
    check("x.grad", x.grad)


@scenario(tags=["linalg"], dtypes=["float32", "float64"])
def matmul_grads(torch, check):
    a = check.data((3, 4), seed=42, requires_grad=True)
    b = check.data((4, 2), seed=43, requires_grad=True)
    c = a @ b
    check("c", c)
    c.sum().backward()
    check("a.grad", a.grad)
    check("b.grad", b.grad)


@scenario(tags=["pointwise"], dtypes=["float32", "float64"])
def relu_gradient_at_zero(torch, check):
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    torch.relu(x).sum().backward()
    check("x.grad", x.grad)


@scenario(
    tags=["pointwise"],
    dtypes=["float32", "float64"],
    versioned="torch 2.14: clamp's gradient is zero at the bounds (2.13 passes it there)",
)
def clamp_gradient_at_bounds(torch, check):
    x = torch.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["pointwise"], dtypes=["float32", "float64"])
def smooth_functions_chain(torch, check):
    x = check.data((5,), seed=44, low=0.1, high=2.0, requires_grad=True)
    y = (x.log() * x.sqrt() + x.tanh() / x.exp() - x.sigmoid()).sum()
    check("y", y)
    y.backward()
    check("x.grad", x.grad)


@scenario(tags=["pointwise", "errors"])
def sqrt_at_zero_gives_inf_grad(torch, check):
    x = torch.tensor([0.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()
    check("x.grad", x.grad)
