"""nn parameters require grad; freezing a model and training a new head (the seed's fine-tuning recipe)."""

from conformance import scenario


def small_net(torch):
    """A stand-in for the seed's resnet18 (its pretrained weights cannot be downloaded here)."""

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 2, 2)
            self.fc = torch.nn.Linear(8, 3)

        def forward(self, x):
            return self.fc(torch.relu(self.conv(x)).flatten(1))

    return Net()


@scenario(tags=["nn", "requires_grad"])
def linear_parameters_require_grad(torch, check):
    lin = torch.nn.Linear(3, 2)
    check("weight.requires_grad", lin.weight.requires_grad)
    check("bias.is_leaf", lin.bias.is_leaf)
    check("names", [name for name, _ in lin.named_parameters()])


@scenario(tags=["nn"], dtypes=["float32", "float64"])
def linear_forward_backward_same_weights(torch, check):
    lin = check.same_weights(torch.nn.Linear(3, 2))
    x = check.data((4, 3), seed=20)
    out = lin(x)
    check("out", out)
    out.pow(2).sum().backward()
    check("lin", lin)
    check("weight.grad", lin.weight.grad)


@scenario(tags=["nn", "accumulation"])
def module_zero_grad_sets_none(torch, check):
    lin = check.same_weights(torch.nn.Linear(2, 1))
    lin(torch.ones(1, 2)).sum().backward()
    check("before", lin.weight.grad)
    lin.zero_grad()
    check("after", lin.weight.grad)


@scenario(tags=["freezing", "nn", "errors", "seed"])
def frozen_model_output_does_not_require_grad(torch, check):
    net = check.same_weights(small_net(torch))
    for p in net.parameters():
        p.requires_grad = False
    out = net(check.data((2, 1, 3, 3), seed=21))
    check("out", out)
    out.sum().backward()


@scenario(tags=["freezing", "nn", "optim", "seed"], dtypes=["float32", "float64"])
def fine_tune_new_head_only(torch, check):
    net = check.same_weights(small_net(torch), key="net")
    for p in net.parameters():
        p.requires_grad = False
    net.fc = check.same_weights(torch.nn.Linear(8, 3), key="fc")
    opt = torch.optim.SGD(net.fc.parameters(), lr=1e-2, momentum=0.9)
    x = check.data((4, 1, 3, 3), seed=22)
    target = check.data((4, 3), seed=23)
    for _ in range(5):
        opt.zero_grad()
        loss = ((net(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
    check("loss", loss)
    check("net", net)
    check("conv.weight.grad", net.conv.weight.grad)
    check("fc.weight.grad", net.fc.weight.grad)
