"""The seed's training case: fit sin(x) by a cubic, 2000 steps, compared every 100 steps."""

import math

from conformance import scenario

STEPS = 2000


@scenario(
    tags=["training", "nn", "seed"],
    dtypes=["float32", "float64"],
    timeout_s=120,
    tolerance={"float32": (1e-4, 1e-5)},
    tolerance_reason="the weight gradients are float32 sums of 2000 terms with cancellation; torch and NumPy add "
    "them in different orders (observed relative differences up to 3e-5; float64 agrees to 1e-13)",
)
def seed_polynomial_fit_2000_steps(torch, check):
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = check.same_weights(torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    learning_rate = 1e-6
    for t in range(STEPS):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            # Rounding differences compound over steps: the allowed error grows with t.
            check(f"loss@{t}", loss.item(), widen=1 + t / 100)
            check(f"model@{t}", model, widen=1 + t / 100)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad


@scenario(tags=["training"], dtypes=["float32", "float64"], timeout_s=120)
def polynomial_fit_plain_tensors_2000_steps(torch, check):
    # The same fit written with bare tensors (no nn), from fixed initial weights.
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    a, b, c, d = (torch.tensor(v, requires_grad=True) for v in (0.1, -0.2, 0.3, -0.05))
    learning_rate = 1e-6
    for t in range(STEPS):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            check(f"loss@{t}", loss.item(), widen=1 + t / 100)
            check(f"params@{t}", [a, b, c, d], widen=1 + t / 100)
        loss.backward()
        with torch.no_grad():
            for param in (a, b, c, d):
                param -= learning_rate * param.grad
                param.grad = None
