"""no_grad, enable_grad, set_grad_enabled, detach."""

from conformance import scenario


@scenario(tags=["no_grad", "grad_mode"], dtypes=["float32", "float64"])
def no_grad_result_does_not_require_grad(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        y = x * 2
    check("y", y)
    check("enabled after", torch.is_grad_enabled())


@scenario(tags=["no_grad", "grad_mode"])
def enable_grad_inside_no_grad(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        check("inside", torch.is_grad_enabled())
        with torch.enable_grad():
            y = x * x
    check("y", y)
    y.sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["no_grad", "grad_mode"])
def set_grad_enabled_false(torch, check):
    x = torch.tensor([3.0], requires_grad=True)
    torch.set_grad_enabled(False)
    y = x * 2
    torch.set_grad_enabled(True)
    z = x * 2
    check("y", y)
    check("z", z)


@scenario(tags=["no_grad", "grad_mode"])
def no_grad_as_decorator(torch, check):
    @torch.no_grad()
    def double(t):
        return t * 2

    x = torch.tensor([1.0], requires_grad=True)
    check("double(x)", double(x))


@scenario(tags=["no_grad", "inplace"], dtypes=["float32", "float64"])
def parameter_update_under_no_grad(torch, check):
    w = check.data((3,), seed=4, requires_grad=True)
    (w * w).sum().backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
    check("w", w)
    check("w.grad", w.grad)


@scenario(tags=["detach"], dtypes=["float32", "float64"])
def detach_stops_gradient(torch, check):
    x = check.data((3,), seed=5, requires_grad=True)
    y = x * x
    z = y.detach() * x
    check("y.detach()", y.detach())
    check("z", z)
    z.sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["detach", "inplace", "errors"])
def detach_shares_storage_and_version(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    d = y.detach()
    d.zero_()
    check("y after d.zero_()", y)
    y.sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["detach"])
def detach_underscore_makes_leaf(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.detach_()
    check("y", y)
