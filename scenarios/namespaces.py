"""torch's smaller namespaces as a training script meets them: a device picked through torch.accelerator,
torch.backends flags, the legacy typed constructors and Tensor.type, GradScaler steps, autocast(enabled=False),
torch.compile, and the answers of torch.backends / torch.distributed on a CPU build."""

from conformance import scenario


def _pick_device(torch):
    acc = torch.accelerator.current_accelerator()
    return acc if acc is not None and torch.accelerator.is_available() else torch.device("cpu")


@scenario(tags=["training", "optim", "devices"], dtypes=["float32", "float64"])
def script_with_accelerator_backends_legacy_types_and_grad_scaler(torch, check):
    device = _pick_device(torch)
    check("device", str(device))
    check("device_count", torch.accelerator.device_count() if device.type != "cpu" else 0)
    # the flags a script sets at the top, restored at the end (they are process-wide)
    cudnn, matmul = torch.backends.cudnn, torch.backends.cuda.matmul
    saved = (cudnn.benchmark, cudnn.deterministic, matmul.allow_tf32)
    cudnn.benchmark, cudnn.deterministic = True, True
    check(
        "flags",
        [cudnn.enabled, cudnn.benchmark, cudnn.deterministic, matmul.allow_tf32, torch.backends.mps.is_available()],
    )
    check.error("benchmark = 1", lambda: setattr(cudnn, "benchmark", 1))
    torch.set_float32_matmul_precision("high")
    check("precision", [torch.get_float32_matmul_precision(), matmul.allow_tf32])
    torch.set_float32_matmul_precision("highest")
    cudnn.benchmark, cudnn.deterministic, matmul.allow_tf32 = saved

    # data through the legacy constructors, as old scripts build it
    inputs = torch.FloatTensor(check.data((6, 3), seed=1).tolist()).to(device, check.dtype)
    targets = torch.LongTensor([0, 1, 1, 0, 1, 0]).to(device)
    check("inputs", inputs)
    check("types", [inputs.type(), targets.type(), isinstance(targets, torch.LongTensor)])
    check("as double", inputs.type(torch.DoubleTensor))

    model = check.same_weights(torch.nn.Linear(3, 2)).to(device, check.dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = torch.amp.GradScaler(device.type, init_scale=2.0**10, growth_interval=2)
    for step in range(5):
        opt.zero_grad()
        with torch.autocast(device_type=device.type, enabled=False):
            loss = torch.nn.functional.cross_entropy(model(inputs), targets)
        if step == 2:
            loss = loss * float("inf")  # an overflowing step: skipped, the scale backs off
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        check("unscaled grad norm", torch.stack([p.grad.norm() for p in model.parameters()]).norm())
        scaler.step(opt)
        scaler.update()
        check("loss", loss.detach())
        check("scale", scaler.get_scale())
    check("model", model)
    check("scaler state", scaler.state_dict())


@scenario(tags=["nn", "errors"], devices=["cpu"])
def legacy_constructors_and_tensor_type(torch, check):
    for name in ("FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
                 "CharTensor", "ByteTensor", "BoolTensor"):  # fmt: skip
        make = getattr(torch, name)
        check(f"{name}(list)", make([[1, 0], [3, 4]]))
        check(f"{name}()", make())
        check(f"{name}(2, 3) shape", make(2, 3).shape)
        check(f"{name} type", make([1]).type())
        check(f"{name} isinstance", [isinstance(torch.ones(1, dtype=d), make) for d in (torch.float32, torch.int64)])
    x = torch.tensor([1.5, -2.5], requires_grad=True)
    alias = torch.FloatTensor(x)
    check("alias", alias)
    check("alias is a view", alias._base is x)
    for target in ("torch.LongTensor", "torch.HalfTensor", "torch.Tensor", torch.float64, torch.IntTensor):
        check(f"type({target!r})", x.type(target))
    check.error("type('torch.float64')", lambda: x.type("torch.float64"))
    check.error("type(1)", lambda: x.type(1))
    check.error("FloatTensor(long tensor)", lambda: torch.FloatTensor(torch.tensor([1, 2])))
    check.error("FloatTensor(2.5)", lambda: torch.FloatTensor(2.5))
    check.error("FloatTensor(2, -1)", lambda: torch.FloatTensor(2, -1))
    check.error("FloatTensor(dtype=)", lambda: torch.FloatTensor(2, dtype=torch.float64))
    check.error("subclass", lambda: type("Mine", (torch.LongTensor,), {}))
    check("Tensor()", torch.Tensor())
    check("Tensor(tuple)", torch.Tensor((3, 4)))


@scenario(tags=["devices", "errors"], devices=["cpu"])
def cpu_build_answers(torch, check):
    b = torch.backends
    check("backends", [b.cuda.is_built(), b.cudnn.is_available(), b.cudnn.version(), b.mps.is_built(),
                       b.mkldnn.is_available(), b.mkl.is_available(), b.openmp.is_available(),
                       b.opt_einsum.is_available(), b.opt_einsum.strategy])  # fmt: skip
    with b.cudnn.flags(enabled=False, deterministic=True):
        check("in flags", [b.cudnn.enabled, b.cudnn.deterministic, b.cudnn.allow_tf32])
    check("after flags", [b.cudnn.enabled, b.cudnn.deterministic])
    acc = torch.accelerator
    check("accelerator", [acc.is_available(), acc.current_accelerator(), acc.device_count()])
    check.error("current_device_index", acc.current_device_index)
    check.error("synchronize", acc.synchronize)
    check.error("set_device_index('cuda')", lambda: acc.set_device_index("cuda"))
    check("GradScaler('cuda') disables itself", torch.amp.GradScaler("cuda").is_enabled())
    with torch.autocast("cuda"):
        check("cuda autocast off", torch.is_autocast_enabled("cuda"))
    with torch.autocast("cpu", dtype=torch.float64):
        check("float64 autocast off", torch.is_autocast_enabled("cpu"))
    check("onnx export in progress", torch.onnx.is_in_onnx_export())
    dp = torch.nn.DataParallel(check.same_weights(torch.nn.Linear(2, 2)))
    check("data parallel", dp(check.data((3, 2), seed=5)))
    check("data parallel keys", list(dp.state_dict()))


@scenario(tags=["nn"], dtypes=["float32", "float64"])
def compiled_model_and_function(torch, check):
    model = check.same_weights(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)))
    compiled = torch.compile(model, backend="eager")
    x = check.data((5, 3), seed=7)
    out = compiled(x)
    check("out", out)
    out.sum().backward()
    check("model", model)
    check("keys", list(compiled.state_dict()))

    @torch.compile(backend="eager")
    def f(t):
        return t.sin() * t

    check("f", f(x))
    check.error("bad mode", lambda: torch.compile(model, mode="fastest"))


@scenario(tags=["dtype_promotion"], devices=["cpu"])
def bfloat16_tensors(torch, check):
    x = torch.tensor([1.0, 1.0078125, 3.14159, 1e-3, 65504.0, 1e30], dtype=torch.bfloat16)
    check("values", x)
    check("dtype", x.dtype)
    check("sum", x[:4].sum())
    check("product rounds once", x * 3)
    check("promotion with float32", (x + torch.ones(6)).dtype)
    check("to float32", x.float())
    check("finfo eps", torch.finfo(torch.bfloat16).eps)
