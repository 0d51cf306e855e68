"""The examples of the seed post (a Chinese blog post on PyTorch autograd), one scenario each.

Where the post prints a result, the scenario carries it as a ``claim``; the
verdict then says whether the claim, torch and the engine agree.
"""

from conformance import scenario

SEED = "seed post 000_1237c3ae36418dd2"


@scenario(tags=["requires_grad", "seed"], claim={"requires_grad": False}, claim_source=SEED)
def plain_tensor_does_not_require_grad(torch, check):
    inp = torch.tensor([1, 2, 3])
    check("requires_grad", inp.requires_grad)
    check("inp", inp)


@scenario(
    tags=["requires_grad", "seed"], dtypes=["float32", "float64"], claim={"x.grad": [2.0, 2.0, 2.0]}, claim_source=SEED
)
def sum_of_double(torch, check):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    y = torch.sum(x * 2)
    y.backward()
    check("y", y)
    check("x.grad", x.grad)


@scenario(
    tags=["errors", "seed"],
    claim={"error": "RuntimeError: grad can be implicitly created only for scalar outputs"},
    claim_source=SEED,
)
def non_scalar_backward_without_seed(torch, check):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    y = x * 2
    check("y", y)
    y.backward()


@scenario(tags=["requires_grad", "errors", "seed"], claim={"a.grad": 0}, claim_source=SEED)
def integer_tensor_requires_grad(torch, check):
    x = torch.tensor([-1.0, 0.0, 1.0])
    a = torch.tensor(2, requires_grad=True)
    y = torch.sum(x * a)
    y.backward()
    check("a.grad", a.grad)


@scenario(
    tags=["requires_grad", "nn", "seed"],
    claim={"weight.requires_grad": True, "bias.requires_grad": True},
    claim_source=SEED,
)
def conv2d_parameters_require_grad(torch, check):
    conv = torch.nn.Conv2d(1, 1, 2, 1, 0)
    check("weight.requires_grad", conv.weight.requires_grad)
    check("bias.requires_grad", conv.bias.requires_grad)
    check("weight.shape", conv.weight.shape)
    check("bias.shape", conv.bias.shape)


@scenario(tags=["requires_grad", "seed"])
def requires_grad_propagates_through_ops(torch, check):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    c = torch.tensor([3.0, 4.0])
    check("x*c", x * c)
    check("(x*c).requires_grad", (x * c).requires_grad)
    check("c*c", c * c)
    check("(c*c).requires_grad", (c * c).requires_grad)


@scenario(tags=["seeds", "seed"], dtypes=["float32", "float64"], claim={"x.grad": [2.0, 2.0, 2.0]}, claim_source=SEED)
def integer_seed_all_ones(torch, check):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    y = x * 2
    y.backward(torch.tensor([1, 1, 1]))
    check("x.grad", x.grad)


@scenario(tags=["seeds", "seed"], dtypes=["float32", "float64"], claim={"x.grad": [2.0, 4.0, 4.0]}, claim_source=SEED)
def integer_seed_weights(torch, check):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    y = x * 2
    y.backward(torch.tensor([1, 2, 2]))
    check("x.grad", x.grad)


@scenario(tags=["seeds", "seed"], dtypes=["float32", "float64"])
def float_seed_weights(torch, check):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    y = x * 2
    y.backward(torch.tensor([1.0, 2.0, 2.0]))
    check("x.grad", x.grad)


@scenario(tags=["requires_grad", "seed"], claim={"a.grad": 0.0}, claim_source=SEED)
def float_scalar_unused_in_graph_gets_zero_grad(torch, check):
    # The post's example with a float `a`: x has no grad, so y = sum(x * a) depends on a only.
    x = torch.tensor([-1.0, 0.0, 1.0])
    a = torch.tensor(2.0, requires_grad=True)
    y = torch.sum(x * a)
    y.backward()
    check("a.grad", a.grad)


@scenario(
    tags=["accumulation", "seed"], dtypes=["float32", "float64"], claim={"x.grad": [4.0, 8.0, 8.0]}, claim_source=SEED
)
def retain_graph_accumulates(torch, check):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    y = x * 2
    y.backward(torch.tensor([1, 2, 2]), retain_graph=True)
    check("x.grad after one", x.grad)
    y.backward(torch.tensor([1, 2, 2]), retain_graph=True)
    check("x.grad", x.grad)


@scenario(
    tags=["accumulation", "seed"], dtypes=["float32", "float64"], claim={"x.grad": [2.0, 4.0, 4.0]}, claim_source=SEED
)
def zero_grad_between_backward_calls(torch, check):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    y = x * 2
    y.backward(torch.tensor([1, 2, 2]), retain_graph=True)
    x.grad.zero_()
    check("x.grad zeroed", x.grad)
    y.backward(torch.tensor([1, 2, 2]), retain_graph=True)
    check("x.grad", x.grad)


@scenario(tags=["errors", "accumulation", "seed"])
def second_backward_on_freed_graph(torch, check):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    y = torch.sum(x * x)
    y.backward()
    check("x.grad", x.grad)
    y.backward()


@scenario(tags=["errors", "accumulation", "seed"])
def second_backward_on_freed_graph_without_saved_tensors(torch, check):
    # y = x*2 saves no tensor of x, yet torch still refuses the second pass.
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    y = x * 2
    y.backward(torch.tensor([1.0, 1.0, 1.0]))
    check("second", check.error("second", lambda: y.backward(torch.tensor([1.0, 1.0, 1.0]))))
    check("x.grad", x.grad)


@scenario(tags=["errors", "seeds", "seed"])
def seed_shape_mismatch(torch, check):
    x = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    y = x * 2
    y.backward(torch.tensor([1.0, 2.0]))
