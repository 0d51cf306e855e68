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


@scenario(tags=["dtype_promotion", "nn"], devices=["cpu"])
def bfloat16_arithmetic_and_autocast(torch, check):
    # bfloat16 results are checked through .float(): float32's tolerance is far below one bfloat16 ulp, so
    # these compare torch's bits (rounding once from float32, float32 accumulation), not just the values.
    x = torch.linspace(-3, 3, 60).reshape(6, 10).bfloat16().requires_grad_()
    w = (torch.linspace(-1, 1, 30).reshape(3, 10) ** 3).bfloat16().requires_grad_()
    check("double rounding from float64", torch.tensor([1.0 + 2**-8 + 2**-30], dtype=torch.bfloat16).float())
    check("promotions", [(x * 2).dtype, (x * torch.ones(10)).dtype, (x + torch.ones(10).half()).dtype,
                         (x + torch.tensor(1.5)).dtype, (x * torch.ones(10, dtype=torch.int64)).dtype,
                         torch.promote_types(torch.bfloat16, torch.float16)])  # fmt: skip
    check("mul by a Python float", (x * 0.1).float())
    check("add alpha", torch.add(x, x.flip(0), alpha=0.3).float())
    check("sum and mean", [x.sum().float(), x.mean(1).float(), x.sum(0).float()])
    y = torch.nn.functional.linear(x, w, w[:, 0])
    check("linear", y.float())
    loss = torch.nn.functional.mse_loss(torch.relu(y), torch.ones(6, 3).bfloat16())
    check("loss", loss.float())
    loss.backward()
    check("grads", [x.grad.float(), w.grad.float(), x.grad.dtype])
    check("repr", repr(y.detach()[:2]))
    check("finfo", [torch.finfo(torch.bfloat16).eps, torch.finfo(torch.bfloat16).max, str(torch.finfo(torch.bfloat16))])
    with torch.autocast("cpu"):
        a = torch.linspace(-2, 2, 12).reshape(3, 4)
        m = a @ a.T
        lin = torch.nn.functional.linear(a, a[:2], a[0, :2])
        ce = torch.nn.functional.cross_entropy(m, torch.tensor([0, 1, 2]))
        check("autocast dtypes", [m.dtype, lin.dtype, ce.dtype, (m + 1).dtype, torch.get_autocast_dtype("cpu")])
        check("autocast values", [m.float(), lin.float(), ce])


@scenario(tags=["dtype_promotion"])
def bfloat16_softmax_over_columns_and_cross_entropy(torch, check):
    # softmax over a non-last dim and cross_entropy's mean, on bfloat16 inputs (outside autocast)
    x = (check.data((16, 9), seed=21) * 3).bfloat16()
    check("softmax dim 0", torch.softmax(x, dim=0))
    logits = (check.data((16, 7), seed=22) * 3).bfloat16()
    target = torch.tensor([i % 7 for i in range(16)])
    check("cross_entropy", torch.nn.functional.cross_entropy(logits, target))
