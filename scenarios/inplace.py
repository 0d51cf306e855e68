"""In-place operations: version counters, leaf errors, views."""

from conformance import scenario


@scenario(tags=["inplace", "errors"])
def inplace_on_leaf_requiring_grad_fails(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x += 1


@scenario(tags=["inplace", "errors"])
def modified_saved_tensor_fails_backward(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y
    y.add_(1)
    check("y._version", y._version)
    z.sum().backward()


@scenario(tags=["inplace"], dtypes=["float32", "float64"])
def inplace_on_unsaved_intermediate_is_fine(torch, check):
    x = check.data((3,), seed=10, requires_grad=True)
    y = x * 2
    y.add_(1)
    y.mul_(3)
    check("y", y)
    y.sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["inplace"])
def version_counter_counts_inplace_ops(torch, check):
    x = torch.zeros(3)
    check("v0", x._version)
    x.add_(1)
    x.mul_(2)
    check("v2", x._version)
    v = x.view(3)
    v.add_(1)
    check("shared", x._version)


@scenario(tags=["inplace", "views"], dtypes=["float32", "float64"])
def inplace_on_view_routes_grad_to_base(torch, check):
    x = check.data((2, 3), seed=11, requires_grad=True)
    y = x * 1
    row = y[0]
    row.mul_(5)
    check("y", y)
    y.sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["inplace", "errors"])
def exp_result_modified_inplace_fails(torch, check):
    x = torch.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()
    y.mul_(2)
    y.sum().backward()


@scenario(tags=["inplace", "views"], dtypes=["float32", "float64"])
def view_taken_before_base_modified_in_place(torch, check):
    # the view's history is regenerated (AsStridedBackward0), so its grad sees the in-place multiply
    x = check.data((3, 4), seed=30, requires_grad=True)
    y = x * 1
    v = y[1:, ::2]
    check("grad_fn before", type(v.grad_fn).__name__)
    y.mul_(check.data((3, 4), seed=31))
    check("grad_fn after", type(v.grad_fn).__name__)
    (v.exp() * v).sum().backward()
    check("x.grad", x.grad)
