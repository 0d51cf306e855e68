"""Tensors on two devices: what torch allows across CPU and GPU, and the errors it raises otherwise.

These run on the GPU pair only (``devices=["cuda"]``): there the pair's device is the default device,
so a tensor the scenario wants on the CPU says ``device="cpu"``.
"""

from conformance import scenario


def _where(t):
    return str(t.device)


@scenario(tags=["devices", "broadcasting"], devices=["cuda"], dtypes=["float32", "float64"])
def cpu_scalar_input_of_gpu_op_gets_cpu_grad(torch, check):
    # a 0-dim CPU tensor may join GPU tensors; its gradient comes back to the CPU
    s = torch.tensor(2.5, device="cpu", requires_grad=True)
    v = check.data((2, 3), seed=1)
    y = s * v
    check("y device", _where(y))
    y.sum().backward()
    check("s.grad", s.grad)
    check("s.grad device", _where(s.grad))


@scenario(tags=["devices"], devices=["cuda"])
def move_between_devices_keeps_the_graph(torch, check):
    x = torch.tensor([1.0, -2.0, 3.0], device="cpu", requires_grad=True)
    y = x.cuda() * 2
    z = y.cpu().exp()
    check("grad_fn of cuda()", type(y.grad_fn.next_functions[0][0]).__name__)
    check("z device", _where(z))
    z.sum().backward()
    check("x.grad", x.grad)
    check("x.grad device", _where(x.grad))


@scenario(tags=["devices", "errors"], devices=["cuda"])
def mixed_device_errors(torch, check):
    gpu = check.data((2, 2), seed=2)
    cpu = torch.ones(2, 2, device="cpu")
    vec = torch.ones(2, device="cpu")
    check.error("add", lambda: gpu + cpu)
    check.error("add reversed", lambda: cpu + gpu)
    check.error("mul_ in place", lambda: gpu.clone().mul_(cpu))
    check.error("mm", lambda: torch.mm(gpu, cpu))
    check.error("mm reversed", lambda: torch.mm(cpu, gpu))
    check.error("matmul", lambda: gpu @ cpu)
    check.error("mv", lambda: torch.mv(gpu, vec))
    check.error("dot", lambda: torch.dot(gpu[0], vec))
    check.error("bmm", lambda: torch.bmm(gpu[None], cpu[None]))
    check.error("addmm", lambda: torch.addmm(cpu, gpu, gpu))
    check.error("cat", lambda: torch.cat([gpu, cpu]))
    check.error("stack", lambda: torch.stack([gpu, cpu]))
    check.error("where", lambda: torch.where(gpu > 0, gpu, cpu))
    check.error("index with cpu index", lambda: gpu[torch.tensor([1, 0], device="cpu")])
    check.error("index_select", lambda: gpu.index_select(0, torch.tensor([1], device="cpu")))
    check.error("gather", lambda: gpu.gather(1, torch.zeros(2, 1, dtype=torch.int64, device="cpu")))
    check.error("copy_ across devices", lambda: cpu.clone().copy_(gpu))
    check.error("cpu scalar plus gpu", lambda: torch.tensor(1.0, device="cpu") + gpu)


@scenario(tags=["devices", "errors", "nn"], devices=["cuda"], dtypes=["float32", "float64"])
def module_left_on_the_cpu(torch, check):
    x = check.data((4, 3), seed=3)
    with torch.device("cpu"):
        lin = torch.nn.Linear(3, 2)
        lin_nobias = torch.nn.Linear(3, 2, bias=False)
        conv = torch.nn.Conv2d(1, 2, 2)
    check.error("linear", lambda: lin(x))
    check.error("linear without bias", lambda: lin_nobias(x))
    check.error("linear, cpu input", lambda: lin.cuda()(x.cpu()))
    img = check.data((1, 1, 3, 3), seed=4)
    check.error("conv2d", lambda: conv(img))
    check.error("conv2d, cpu input", lambda: conv.cuda()(img.cpu()))
    conv.cpu()
    conv.bias.data = conv.bias.data.cuda()
    check.error("conv2d, bias elsewhere", lambda: conv(img.cpu()))


@scenario(tags=["devices", "nn", "optim"], devices=["cuda"], dtypes=["float32", "float64"])
def module_moved_to_gpu_trains(torch, check):
    with torch.device("cpu"):
        model = check.same_weights(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)))
    params = list(model.parameters())
    model.to("cuda")
    check("same Parameter objects", all(a is b for a, b in zip(params, model.parameters())))
    check("devices", sorted({_where(p) for p in model.parameters()}))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, target = check.data((8, 3), seed=5), check.data((8, 1), seed=6)
    for step in range(3):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), target)
        loss.backward()
        opt.step()
        check(f"loss {step}", loss)
    check("model", model)
    check("grad device", _where(model[0].weight.grad))
