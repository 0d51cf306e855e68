"""Ordinary torch snippets that start with ``torch.manual_seed``: random data and default weights.

The engine reproduces torch's CPU generator, so code pasted from a tutorial
(``torch.manual_seed(0); x = torch.randn(64, 3); nn.Linear(3, 1)``) gives the
same tensors on both, with no ``check.data`` / ``check.same_weights``.
"""

import math

from conformance import scenario

# The two 2000-step fits of sin(x) by a cubic (learning_with_examples_tensors, seed_training_script_with_manual_seed)
FIT_2000_STEPS = {"dtypes": ["float32", "float64"], "timeout_s": 120, "tolerance": {"float32": (1e-4, 1e-5)}}
FIT_REASON = "float32 sums of 2000 terms with cancellation are added in different orders by torch and NumPy"


@scenario(tags=["seeds", "nn"], dtypes=["float32", "float64"])
def randn_data_and_linear_after_manual_seed(torch, check):
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    model = torch.nn.Linear(3, 1)
    check("x", x)
    check("model", model)
    check("y", model(x))
    check("initial_seed", torch.initial_seed())


@scenario(tags=["seeds"], dtypes=["float32", "float64"])
def factories_after_manual_seed(torch, check):
    torch.manual_seed(42)
    check("randn small", torch.randn(5))
    check("randn 16", torch.randn(16))
    check("randn 33", torch.randn(3, 11))
    check("rand", torch.rand(2, 7))
    check("randint", torch.randint(0, 10, (12,)))
    check("randint wide", torch.randint(-(2**40), 2**40, (4,)))
    check("randperm", torch.randperm(20))
    check("normal", torch.normal(2.0, 3.0, size=(4, 5)))
    check("normal tensors", torch.normal(torch.arange(6.0), torch.ones(6)))
    check("randn_like", torch.randn_like(torch.zeros(2, 9)))


@scenario(tags=["seeds", "inplace"], dtypes=["float32", "float64"])
def inplace_samplers_after_manual_seed(torch, check):
    torch.manual_seed(7)
    check("uniform_", torch.empty(20).uniform_(-2, 5))
    check("normal_", torch.empty(3, 6).normal_(1.5, 0.2))
    check("normal_ transposed", torch.empty(6, 3).t().normal_())
    check("exponential_", torch.empty(10).exponential_(2.0))
    check("bernoulli_", torch.empty(12).bernoulli_(0.3))
    check("bernoulli", torch.bernoulli(torch.full((3, 4), 0.6)))
    check("random_", torch.empty(5, dtype=torch.int64).random_(0, 100))
    probs = torch.tensor([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    check("multinomial", torch.multinomial(probs, 2))
    check("multinomial replacement", torch.multinomial(probs, 6, replacement=True))


@scenario(tags=["seeds"])
def generator_objects_and_state(torch, check):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(123)
    check("with generator", torch.randn(4, generator=g))
    check("default untouched", torch.rand(3))
    state = torch.get_rng_state()
    first = torch.randn(5)
    torch.set_rng_state(state)
    check("replayed", torch.randn(5))
    check("first", first)
    with torch.random.fork_rng():
        torch.randn(100)
    check("after fork_rng", torch.rand(2))
    check("generator initial_seed", g.initial_seed())


@scenario(tags=["seeds", "nn"], dtypes=["float32", "float64"])
def default_init_of_common_modules(torch, check):
    torch.manual_seed(0)
    check("linear", torch.nn.Linear(20, 30))
    check("conv2d", torch.nn.Conv2d(3, 8, 3))
    check("mlp", torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2)))
    w = torch.empty(8, 5)
    torch.nn.init.xavier_uniform_(w)
    check("xavier_uniform_", w)
    torch.nn.init.kaiming_normal_(w, nonlinearity="relu")
    check("kaiming_normal_", w)
    torch.nn.init.trunc_normal_(w, std=0.02)
    check("trunc_normal_", w)


@scenario(tags=["seeds", "nn"])
def dropout_mask_in_train_mode(torch, check):
    torch.manual_seed(0)
    drop = torch.nn.Dropout(0.5)
    x = torch.ones(4, 8)
    check("dropout", drop(x))


@scenario(
    tags=["seeds", "training"],
    **FIT_2000_STEPS,
    tolerance_reason=FIT_REASON + " (the data and initial weights are identical)",
)
def learning_with_examples_tensors(torch, check):
    # PyTorch's "Learning PyTorch with Examples", the Tensors section: random cubic coefficients, manual grads
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    a, b, c, d = torch.randn(()), torch.randn(()), torch.randn(()), torch.randn(())
    check("initial coefficients", [a, b, c, d])
    learning_rate = 1e-6
    for t in range(2000):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum().item()
        if t % 100 == 99:
            check(f"loss@{t}", loss, widen=1 + t / 100)
        grad_y_pred = 2.0 * (y_pred - y)
        a -= learning_rate * grad_y_pred.sum()
        b -= learning_rate * (grad_y_pred * x).sum()
        c -= learning_rate * (grad_y_pred * x**2).sum()
        d -= learning_rate * (grad_y_pred * x**3).sum()
    check("coefficients", [a, b, c, d], widen=20)


@scenario(
    tags=["seeds", "training", "nn"],
    **FIT_2000_STEPS,
    tolerance_reason=FIT_REASON + " (the initial weights come from the same manual_seed and are identical)",
)
def seed_training_script_with_manual_seed(torch, check):
    # the seed's training script as written, with torch.manual_seed(0) instead of copied weights
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    check("initial model", model)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    learning_rate = 1e-6
    for t in range(2000):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            check(f"loss@{t}", loss.item(), widen=1 + t / 100)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    check("final model", model, widen=20)
