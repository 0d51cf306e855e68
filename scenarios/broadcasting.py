"""Gradients of broadcast operations are summed back to each input's shape."""

from conformance import scenario


@scenario(tags=["broadcasting"], dtypes=["float32", "float64"])
def add_row_to_matrix(torch, check):
    a = check.data((3, 4), seed=12, requires_grad=True)
    b = check.data((4,), seed=13, requires_grad=True)
    (a + b).pow(2).sum().backward()
    check("a.grad", a.grad)
    check("b.grad", b.grad)


@scenario(tags=["broadcasting"], dtypes=["float32", "float64"])
def mul_column_by_row(torch, check):
    a = check.data((3, 1), seed=14, requires_grad=True)
    b = check.data((1, 4), seed=15, requires_grad=True)
    y = a * b
    check("y", y)
    y.sum().backward()
    check("a.grad", a.grad)
    check("b.grad", b.grad)


@scenario(tags=["broadcasting"], dtypes=["float32", "float64"])
def scalar_tensor_broadcast(torch, check):
    s = torch.tensor(2.5, requires_grad=True)
    v = check.data((2, 3), seed=16)
    (s * v).sum().backward()
    check("s.grad", s.grad)


@scenario(tags=["broadcasting"], dtypes=["float32", "float64"])
def expand_then_reduce(torch, check):
    x = check.data((1, 3), seed=17, requires_grad=True)
    y = x.expand(4, 3)
    (y * check.data((4, 3), seed=18)).sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["broadcasting", "errors"])
def incompatible_shapes_fail(torch, check):
    torch.ones(2, 3) + torch.ones(4)
