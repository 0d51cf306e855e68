"""torch.autograd.Function: a user-defined forward and backward."""

from conformance import scenario


def make_square(torch):
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x

    return Square


@scenario(tags=["function"], dtypes=["float32", "float64"])
def custom_square_function(torch, check):
    x = check.data((3,), seed=50, requires_grad=True)
    y = make_square(torch).apply(x)
    check("y", y)
    y.sum().backward()
    check("x.grad", x.grad)
