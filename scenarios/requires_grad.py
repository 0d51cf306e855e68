"""requires_grad: defaults, propagation, leaves, and the integer-dtype rule."""

from conformance import scenario


@scenario(tags=["requires_grad"], dtypes=["float32", "float64"])
def factory_functions_default_to_no_grad(torch, check):
    check("zeros", torch.zeros(2, 3).requires_grad)
    check("ones", torch.ones(3).requires_grad)
    check("arange", torch.arange(4).requires_grad)
    check("full", torch.full((2,), 1.5).requires_grad)
    check("tensor", torch.tensor([1.0, 2.0]))


@scenario(tags=["requires_grad"], dtypes=["float32", "float64"])
def leaf_and_non_leaf_flags(torch, check):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 3
    check("x", x)
    check("y", y)
    check("y+1", y + 1)
    check("x.grad before backward", x.grad)


@scenario(tags=["requires_grad"])
def requires_grad_underscore_on_leaf(torch, check):
    x = torch.tensor([1.0, 2.0])
    check("returned", x.requires_grad_())
    check("x", x)
    x.requires_grad_(False)
    check("x after reset", x)


@scenario(tags=["requires_grad", "errors"])
def requires_grad_false_on_non_leaf_fails(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.requires_grad = False


@scenario(tags=["requires_grad", "errors"])
def integer_tensor_requires_grad_setter_fails(torch, check):
    a = torch.tensor([1, 2, 3])
    a.requires_grad = True


@scenario(tags=["requires_grad"], dtypes=["float32", "float64"])
def propagation_through_mixed_inputs(torch, check):
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0])
    c = a + b
    d = b * b
    e = c * d
    check("c", c)
    check("d", d)
    check("e", e)
    e.sum().backward()
    check("a.grad", a.grad)


@scenario(tags=["requires_grad", "errors"])
def backward_on_tensor_without_grad_fails(torch, check):
    c = torch.tensor([1.0, 2.0])
    (c * c).sum().backward()
