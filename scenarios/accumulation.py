"""Gradient accumulation across backward calls and graphs."""

from conformance import scenario


@scenario(tags=["accumulation"], dtypes=["float32", "float64"])
def two_graphs_accumulate_into_one_leaf(torch, check):
    x = check.data((4,), seed=1, requires_grad=True)
    (x * x).sum().backward()
    check("after first", x.grad)
    (3 * x).sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["accumulation"], dtypes=["float32", "float64"])
def leaf_used_twice_in_one_graph(torch, check):
    x = check.data((3,), seed=2, requires_grad=True)
    y = x * x + x * 5
    y.sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["accumulation"])
def grad_set_to_none_then_recomputed(torch, check):
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    (x * 4).sum().backward()
    x.grad = None
    check("cleared", x.grad)
    (x * x).sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["accumulation"], dtypes=["float32", "float64"])
def accumulation_over_ten_calls(torch, check):
    x = check.data((5,), seed=3, requires_grad=True)
    for _ in range(10):
        (x.exp()).sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["accumulation"])
def grad_is_not_a_view_of_seed(torch, check):
    # Accumulating must not write into the caller's seed tensor.
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    seed = torch.tensor([1.0, 1.0])
    (x * 1).backward(seed, retain_graph=True)
    (x * 1).backward(seed)
    check("seed", seed)
    check("x.grad", x.grad)
