"""Type promotion: result dtypes and the dtypes of gradients."""

from conformance import scenario


@scenario(tags=["dtype_promotion"])
def int_times_float_tensor(torch, check):
    check("int*float", torch.tensor([1, 2]) * torch.tensor([0.5, 1.5]))
    check("int*pyfloat", torch.tensor([1, 2]) * 1.5)
    check("int/int", torch.tensor([3, 4]) / torch.tensor([2, 2]))
    check("bool+int", torch.tensor([True, False]) + 1)


@scenario(tags=["dtype_promotion"])
def float32_with_float64_tensor(torch, check):
    a = torch.tensor([1.0, 2.0], dtype=torch.float32, requires_grad=True)
    b = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    y = a * b
    check("y", y)
    y.sum().backward()
    check("a.grad", a.grad)
    check("b.grad", b.grad)


@scenario(tags=["dtype_promotion"])
def zero_dim_tensor_does_not_promote(torch, check):
    a = torch.tensor([1.0, 2.0], dtype=torch.float32)
    check("f32*f64 scalar tensor", a * torch.tensor(2.0, dtype=torch.float64))
    check("f32*python float", a * 2.0)
    check("int*int64 scalar", torch.tensor([1, 2], dtype=torch.int32) * torch.tensor(3))


@scenario(tags=["dtype_promotion", "seed"], dtypes=["float32", "float64"])
def pow_by_integer_exponent_tensor(torch, check):
    # The seed's feature construction: x.unsqueeze(-1).pow(torch.tensor([1, 2, 3])).
    x = torch.linspace(-1.0, 1.0, 5)
    p = torch.tensor([1, 2, 3])
    check("xx", x.unsqueeze(-1).pow(p))


@scenario(tags=["dtype_promotion", "seeds"])
def float64_seed_into_float32_output(torch, check):
    x = torch.tensor([1.0, 2.0], dtype=torch.float32, requires_grad=True)
    y = x * 3
    y.backward(torch.tensor([1.0, 0.5], dtype=torch.float64))
    check("x.grad", x.grad)


@scenario(tags=["dtype_promotion"])
def to_double_grad_comes_back_as_float(torch, check):
    x = torch.tensor([1.0, 2.0], dtype=torch.float32, requires_grad=True)
    y = x.double() * 3
    y.sum().backward()
    check("y", y)
    check("x.grad", x.grad)
