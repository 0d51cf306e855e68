"""Optimizers: SGD with momentum (and Nesterov, weight decay), Adam."""

from conformance import scenario


def quadratic_run(torch, check, make_opt, steps=10):
    w = check.data((4,), seed=30, requires_grad=True)
    target = check.data((4,), seed=31)
    opt = make_opt([w])
    for step in range(steps):
        opt.zero_grad()
        loss = ((w - target) ** 2).sum()
        loss.backward()
        opt.step()
        check(f"w@{step}", w)
    check("loss", loss)


@scenario(tags=["optim"], dtypes=["float32", "float64"])
def sgd_plain(torch, check):
    quadratic_run(torch, check, lambda ps: torch.optim.SGD(ps, lr=0.1))


@scenario(tags=["optim"], dtypes=["float32", "float64"])
def sgd_momentum(torch, check):
    quadratic_run(torch, check, lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9))


@scenario(tags=["optim"], dtypes=["float32", "float64"])
def sgd_nesterov_weight_decay(torch, check):
    quadratic_run(torch, check, lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01))


@scenario(tags=["optim"], dtypes=["float32", "float64"])
def adam_default(torch, check):
    quadratic_run(torch, check, lambda ps: torch.optim.Adam(ps, lr=0.1))


@scenario(tags=["optim"])
def optimizer_zero_grad_sets_none(torch, check):
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad()
    check("w.grad", w.grad)


@scenario(tags=["optim", "errors"])
def sgd_negative_lr_fails(torch, check):
    w = torch.tensor([1.0], requires_grad=True)
    torch.optim.SGD([w], lr=-0.1)
