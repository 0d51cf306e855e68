"""torch.autograd.grad, create_graph and double backward."""

from conformance import scenario


@scenario(tags=["autograd_grad"], dtypes=["float32", "float64"])
def grad_returns_without_accumulating(torch, check):
    x = check.data((3,), seed=7, requires_grad=True)
    (g,) = torch.autograd.grad((x * x).sum(), x)
    check("g", g)
    check("x.grad", x.grad)


@scenario(tags=["autograd_grad", "double_backward"], dtypes=["float32", "float64"])
def second_derivative_of_cube(torch, check):
    x = check.data((4,), seed=8, requires_grad=True)
    y = (x * x * x).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    check("g", g)
    (h,) = torch.autograd.grad(g.sum(), x)
    check("h", h)


@scenario(tags=["double_backward"], dtypes=["float32", "float64"])
def double_backward_through_exp_and_sin(torch, check):
    x = check.data((3,), seed=9, requires_grad=True)
    y = (x.exp() * x.sin()).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    g.sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["autograd_grad"])
def grad_with_grad_outputs(torch, check):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    (g,) = torch.autograd.grad(y, x, grad_outputs=torch.tensor([1.0, 0.5, 2.0]))
    check("g", g)


@scenario(tags=["autograd_grad", "errors"])
def grad_of_unused_input_fails(torch, check):
    x = torch.tensor([1.0], requires_grad=True)
    u = torch.tensor([1.0], requires_grad=True)
    torch.autograd.grad((x * 2).sum(), [x, u])


@scenario(tags=["autograd_grad"])
def grad_allow_unused_gives_none(torch, check):
    x = torch.tensor([1.0], requires_grad=True)
    u = torch.tensor([1.0], requires_grad=True)
    gx, gu = torch.autograd.grad((x * 2).sum(), [x, u], allow_unused=True)
    check("gx", gx)
    check("gu", gu)


@scenario(tags=["autograd_grad", "double_backward"])
def create_graph_backward_warns(torch, check):
    """backward(create_graph=True) keeps a differentiable .grad.

    torch's warning about the reference cycle comes once per process, so the
    runner does not compare it (conformance/verdict.py); tests/engine/autograd/test_autograd_core.py
    checks it in a fresh process.
    """
    x = torch.tensor([2.0], requires_grad=True)
    (x * x * x).sum().backward(create_graph=True)
    check("x.grad", x.grad)
    check("x.grad.requires_grad", x.grad.requires_grad)
