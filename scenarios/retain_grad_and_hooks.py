"""retain_grad, .grad of non-leaves, tensor hooks."""

from conformance import scenario


@scenario(tags=["retain_grad"], dtypes=["float32", "float64"])
def retain_grad_on_intermediate(torch, check):
    x = check.data((3,), seed=6, requires_grad=True)
    y = x * x
    y.retain_grad()
    z = (y * 3).sum()
    z.backward()
    check("y.retains_grad", y.retains_grad)
    check("y.grad", y.grad)
    check("x.grad", x.grad)


@scenario(tags=["retain_grad", "warnings"])
def non_leaf_grad_access_warns(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    check("y.grad", y.grad)


@scenario(tags=["retain_grad"])
def retain_grad_on_leaf_is_noop(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.retain_grad()
    (x * 2).sum().backward()
    check("x.retains_grad", x.retains_grad)
    check("x.grad", x.grad)


@scenario(tags=["hooks"], dtypes=["float32", "float64"])
def hook_scales_gradient(torch, check):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["hooks"])
def hook_sees_incoming_gradient(torch, check):
    seen = []
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: seen.append(g.clone()))
    (y * y).sum().backward()
    check("seen", seen)
    check("x.grad", x.grad)


@scenario(tags=["hooks"])
def leaf_hook_runs_before_accumulation(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g + 1)
    (x * 2).sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["hooks"])
def removed_hook_does_not_run(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    (x * 2).sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["hooks", "errors"])
def hook_on_tensor_without_grad_fails(torch, check):
    c = torch.tensor([1.0])
    c.register_hook(lambda g: g)
