"""torch.autograd.forward_ad: dual tensors, tangents through ops and modules, levels and their errors."""

from conformance import scenario


def _tangent(torch, y):
    t = torch.autograd.forward_ad.unpack_dual(y).tangent
    return None if t is None else t.detach()


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def forward_ad_make_and_unpack_dual(torch, check):
    fwAD = torch.autograd.forward_ad
    x = check.data((3,), seed=1)
    t = check.data((3,), seed=2)
    check.error("make_dual outside a level", lambda: fwAD.make_dual(x, t))
    with fwAD.dual_level() as level:
        check("level", level)
        d = fwAD.make_dual(x, t)
        check("dual", d)
        check("repr", repr(d))
        check("is a view of x", d._base is x)
        check("requires_grad", d.requires_grad)
        primal, tangent = fwAD.unpack_dual(d)
        check("tangent is t", tangent is t)
        check("primal", primal)
        check("primal has no tangent", fwAD.unpack_dual(primal).tangent is None)
        check("x has no tangent", fwAD.unpack_dual(x).tangent is None)
        check("unpacked type", type(fwAD.unpack_dual(d)).__name__)
        check.error("wrong size", lambda: fwAD.make_dual(x, t[:2]))
        check.error("integer primal", lambda: fwAD.make_dual(torch.arange(3), torch.arange(3)))
        check.error("twice at one level", lambda: fwAD.make_dual(d, t))
        check.error("nested level", fwAD.enter_dual_level)
        check.error("unpack a number", lambda: fwAD.unpack_dual(3.0))
        y = d.sin() * 2
    check("after the level", fwAD.unpack_dual(y).tangent is None)
    check("repr after", repr(y))
    check.error("exit without a level", fwAD.exit_dual_level)
    check("enter again", fwAD.enter_dual_level())
    fwAD.exit_dual_level()


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def forward_ad_tangents_through_ops(torch, check):
    fwAD = torch.autograd.forward_ad
    F = torch.nn.functional
    x = check.data((4, 3), seed=3)
    t = check.data((4, 3), seed=4)
    w = check.data((3, 2), seed=5)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        outs = {
            "elementwise": d.sin() * d.exp() + d * d / (d.abs() + 1),
            "pow and neg": -(d.pow(3)) + 2**d,
            "matmul": d @ w,
            "softmax": F.softmax(d, dim=1),
            "log_softmax": F.log_softmax(d, dim=0),
            "reductions": d.sum(0) + d.mean(0) + d.amax(0),
            "std and norm": d.std(1) + torch.linalg.norm(d, dim=1),
            "cumsum": d.cumsum(0),
            "indexing": d[torch.tensor([0, 2])] + d[1:3],
            "gather": d.gather(1, torch.tensor([[0], [1], [2], [0]])),
            "where": torch.where(d > 0, d, d * 0.5),
            "clamp": d.clamp(-0.5, 0.5),
            "cat and stack": torch.cat([d, x]).sum(0) + torch.stack([d, d]).sum((0, 1)),
            "sort": torch.sort(d, dim=1)[0],
            "einsum": torch.einsum("ij,ij->i", d, d),
            "transpose": d.T @ d,
            "cast": d.to(torch.float64),
            "tanh gelu sigmoid": torch.tanh(d) + F.gelu(d) + torch.sigmoid(d),
            "mse": F.mse_loss(d, torch.zeros(4, 3)),
            "cross_entropy": F.cross_entropy(d, torch.tensor([0, 1, 2, 1])),
            "inv": torch.linalg.inv(d[:3] + 3 * torch.eye(3)),
            "det": torch.linalg.det(d[:3]),
        }
        for name, y in outs.items():
            check(f"{name} tangent", _tangent(torch, y))
        values, indices = d.max(1)
        check("max values tangent", _tangent(torch, values))
        check("max indices tangent", _tangent(torch, indices))
        check("argmax has none", _tangent(torch, d.argmax()))
        check("comparison has none", _tangent(torch, d > 0))
        check("zeros_like has none", _tangent(torch, torch.zeros_like(d)))
        check("detach has none", _tangent(torch, d.detach()))
        check("sign tangent", _tangent(torch, d.sign()))
        check("iterating", [_tangent(torch, row) for row in d])
        check("item", round(d.sum().item(), 4))


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def forward_ad_through_modules(torch, check):
    fwAD = torch.autograd.forward_ad
    nn = torch.nn
    torch.manual_seed(0)
    act = torch.tanh  # taken before the level: still an op that computes tangents inside it
    conv = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
    mlp = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Dropout(0.5), nn.Linear(4, 2))
    rnn, gru, cell = nn.RNN(3, 2), nn.GRU(3, 2), nn.LSTMCell(3, 2)
    lstm = nn.LSTM(3, 2)
    x = check.data((2, 2, 6, 6), seed=6)
    tx = check.data((2, 2, 6, 6), seed=7)
    s = check.data((4, 3), seed=8)
    ts = check.data((4, 3), seed=9)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, tx)
        y = conv(d)
        check("conv stack", y.detach())
        check("conv stack tangent", _tangent(torch, y))
        check("running mean", conv[1].running_mean)
        check("running var", conv[1].running_var)
        ds = fwAD.make_dual(s, ts)
        torch.manual_seed(1)
        z = mlp(ds)
        check("mlp tangent (dropout mask as the forward's)", _tangent(torch, z))
        check("mlp tangent requires grad", fwAD.unpack_dual(z).tangent.requires_grad)
        check("rnn tangent", _tangent(torch, rnn(ds.unsqueeze(1))[0]))
        check("gru tangent", _tangent(torch, gru(ds.unsqueeze(1))[1]))
        check("lstm cell tangent", _tangent(torch, cell(ds)[0]))
        check("a function saved earlier", _tangent(torch, act(ds)))
        if ds.dtype == torch.float32:
            check.error("lstm (float32: oneDNN's kernel)", lambda: lstm(ds.unsqueeze(1)))
        else:
            check("lstm tangent", _tangent(torch, lstm(ds.unsqueeze(1))[0]))
        check("interpolate tangent", _tangent(torch, nn.functional.interpolate(d, scale_factor=2, mode="bilinear")))


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def forward_ad_in_place_and_views(torch, check):
    fwAD = torch.autograd.forward_ad
    x = check.data((3,), seed=10)
    t = check.data((3,), seed=11)
    with fwAD.dual_level():
        d = fwAD.make_dual(x.clone(), t)
        w = d.clone()
        w.mul_(3)
        check("in-place mul", _tangent(torch, w))
        check("t unchanged by the clone", t)
        v = d[1:]
        check("view tangent", _tangent(torch, v))
        v.mul_(2)
        check("view after mul_", _tangent(torch, v))
        check("base after mul_ on its view", _tangent(torch, d))
        check("the user's tangent, updated in place as torch does", t)
        target = torch.zeros(3)
        target[0] = d[2]
        check("setitem", _tangent(torch, target))
        z = torch.zeros(3)
        z.copy_(d)
        check("copy_", _tangent(torch, z))
        r = d.clone()
        r.relu_()
        check("relu_", _tangent(torch, r))


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def forward_ad_with_reverse_mode(torch, check):
    fwAD = torch.autograd.forward_ad
    p = check.data((3,), seed=12, requires_grad=True)
    t = check.data((3,), seed=13)
    with fwAD.dual_level():
        dp = fwAD.make_dual(p, t)
        check("dual grad_fn", dp.grad_fn)
        check("dual is_leaf", dp.is_leaf)
        out = (dp * dp.sin()).sum()
        check("out grad_fn", out.grad_fn)
        tangent = fwAD.unpack_dual(out).tangent
        check("tangent requires grad", tangent.requires_grad)
        check("tangent", tangent.detach())
        # forward over reverse: the gradient of the directional derivative is a Hessian-vector product
        (hvp,) = torch.autograd.grad(tangent, p, retain_graph=True)
        check("hvp", hvp)
        out.backward()
        check("p.grad", p.grad)
        with torch.no_grad():
            y = dp.exp()
        check("under no_grad: no history", y.grad_fn)
        check("under no_grad: tangent", _tangent(torch, y))
        check("under no_grad: tangent has no history", fwAD.unpack_dual(y).tangent.grad_fn)
        tt = t.clone().requires_grad_()
        q = fwAD.make_dual(check.data((3,), seed=14), tt)
        tq = fwAD.unpack_dual(q.exp() * 2).tangent
        check("tangent that requires grad", tq.detach())
        check("its gradient", torch.autograd.grad(tq.sum(), tt)[0])


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def forward_ad_tangent_grad_fn(torch, check):
    # The node of a tangent with history: torch's is the last op of the op's forward formula
    fwAD = torch.autograd.forward_ad
    p = check.data((3,), seed=15, requires_grad=True)
    with fwAD.dual_level():
        dp = fwAD.make_dual(p, check.data((3,), seed=16))
        check("tangent of dp * 2", fwAD.unpack_dual(dp * 2).tangent)


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def forward_ad_matches_functional_jvp(torch, check):
    fwAD = torch.autograd.forward_ad
    x = check.data((5,), seed=17)
    v = check.data((5,), seed=18)

    def f(a):
        return (a.sin() * a.cumsum(0)).softmax(0)

    _, jvp = torch.autograd.functional.jvp(f, x, v)
    check("functional.jvp", jvp)

    @fwAD.dual_level()
    def by_dual():
        return fwAD.unpack_dual(f(fwAD.make_dual(x, v))).tangent

    check("dual_level as a decorator", by_dual())
    # the columns of a Jacobian, one forward pass each
    columns = []
    with fwAD.dual_level():
        for i in range(5):
            columns.append(fwAD.unpack_dual(f(fwAD.make_dual(x, torch.eye(5)[i]))).tangent)
    check("jacobian by columns", torch.stack(columns, 1))
    check("functional.jacobian", torch.autograd.functional.jacobian(f, x))


@scenario(tags=["autograd_api", "errors"], dtypes=["float64"])
def forward_ad_gradcheck_and_custom_functions(torch, check):
    fwAD = torch.autograd.forward_ad
    x = check.data((3,), seed=19, requires_grad=True)
    y = check.data((1, 2), seed=20, requires_grad=True)

    class BackwardOnly(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class WithJvp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_forward(a)
            return a.exp()

        @staticmethod
        def backward(ctx, g):
            return g

        @staticmethod
        def jvp(ctx, t):
            (a,) = ctx.saved_tensors
            return t * a.exp()

    gradcheck = torch.autograd.gradcheck
    check("forward and backward", gradcheck(lambda a: (a.sin() * a.exp()).cumsum(0), (x,), check_forward_ad=True))
    check("forward only, two inputs", gradcheck(lambda a, b: (a.unsqueeze(1) * b).sum(0), (x, y),
                                                check_forward_ad=True, check_backward_ad=False))  # fmt: skip
    check("fwd over rev", torch.autograd.gradgradcheck(lambda a: (a.sin() * a[0]).sum(), (x,), check_fwd_over_rev=True))
    check.error("a Function without jvp", lambda: gradcheck(BackwardOnly.apply, (x,), check_forward_ad=True))
    check.error("a wrong jvp", lambda: gradcheck(WithJvp.apply, (x,), check_forward_ad=True, check_backward_ad=False))
    with fwAD.dual_level():
        d = fwAD.make_dual(x.detach(), torch.ones(3, dtype=x.dtype))
        check("jvp of a Function", fwAD.unpack_dual(WithJvp.apply(d)).tangent)
        check.error("no jvp", lambda: BackwardOnly.apply(d))
        check("no tangent in, none out", fwAD.unpack_dual(BackwardOnly.apply(x.detach())).tangent)
