"""repr of tensors: values, requires_grad and grad_fn annotations."""

from conformance import scenario


@scenario(tags=["printing"], dtypes=["float32", "float64"])
def repr_of_leaf_requiring_grad(torch, check):
    check("repr", repr(torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)))


@scenario(tags=["printing"])
def repr_with_grad_fn(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    check("mul", repr(x * 2))
    check("sum", repr((x * 2).sum()))


@scenario(tags=["printing"])
def repr_of_integer_and_bool(torch, check):
    check("int", repr(torch.tensor([1, 2, 3])))
    check("scalar", repr(torch.tensor(0)))
    check("bool", repr(torch.tensor([True, False])))


@scenario(
    tags=["printing", "seed"], claim={"grad": "tensor([2., 2., 2.])"}, claim_source="seed post 000_1237c3ae36418dd2"
)
def print_of_seed_grad(torch, check):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    torch.sum(x * 2).backward()
    check("grad", str(x.grad))
