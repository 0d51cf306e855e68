"""torch.autograd.functional: vjp, jvp, jacobian, hessian, hvp, vhp."""

from conformance import scenario


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def functional_jacobian_tuple_inputs_and_outputs(torch, check):
    a = check.data((3,), seed=1, requires_grad=True)
    b = check.data((2,), seed=2, requires_grad=True)

    def f(x, y):
        return x * y.sum(), (x * x).sum() * y, x.detach() * 2

    jac = torch.autograd.functional.jacobian(f, (a, b))
    # jac[i][j]: output i by input j, shape output_i.shape + input_j.shape; zeros where independent
    check("jac", jac)
    check("single in, single out", torch.autograd.functional.jacobian(lambda x: x.exp() * x[0], a))
    check("single in, tuple out", torch.autograd.functional.jacobian(lambda x: (x * 3, x.prod()), a))


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def functional_hessian_of_scalar_function(torch, check):
    a = check.data((3,), seed=3, requires_grad=True)
    b = check.data((2, 2), seed=4, requires_grad=True)
    check("single", torch.autograd.functional.hessian(lambda x: (x.exp() * x).sum(), a))
    h = torch.autograd.functional.hessian(lambda x, y: (x**3).sum() * y.sum() + (y * y).sum(), (a, b))
    check("tuple", h)
    check.error("not scalar", lambda: torch.autograd.functional.hessian(lambda x: x**2, a))


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def functional_vjp_and_jvp_with_v(torch, check):
    a = check.data((3,), seed=5, requires_grad=True)
    b = check.data((2,), seed=6, requires_grad=True)
    v_out = check.data((3,), seed=7)
    out, vjp = torch.autograd.functional.vjp(lambda x: x.sin() * x, a, v_out)
    check("vjp out", out)
    check("vjp", vjp)
    out, jvp = torch.autograd.functional.jvp(lambda x, y: (x * y.sum(), y.exp()), (a, b), (v_out, b.detach()))
    check("jvp out", out)
    check("jvp", jvp)
    # a scalar output needs no v; an input the output ignores gets zeros
    check("vjp scalar", torch.autograd.functional.vjp(lambda x, y: (x * x).sum(), (a, b)))


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def functional_hvp_and_vhp_with_v(torch, check):
    a = check.data((4,), seed=8, requires_grad=True)
    v = check.data((4,), seed=9)

    def f(x):
        return (x.exp() * x * x).sum()

    check("hvp", torch.autograd.functional.hvp(f, a, v))
    check("vhp", torch.autograd.functional.vhp(f, a, v))
    b = check.data((2,), seed=10, requires_grad=True)
    w = check.data((2,), seed=11)
    check("hvp tuple", torch.autograd.functional.hvp(lambda x, y: (x**3).sum() * y.sum(), (a, b), (v, w)))


@scenario(tags=["autograd_api", "double_backward"], dtypes=["float32", "float64"])
def functional_create_graph_then_differentiate(torch, check):
    a = check.data((3,), seed=12, requires_grad=True)
    v = check.data((3,), seed=13)
    _, hv = torch.autograd.functional.hvp(lambda x: (x.exp() * x).sum(), a, v, create_graph=True)
    check("hv", hv)
    jac = torch.autograd.functional.jacobian(lambda x: x.sin() * x, a, create_graph=True)
    check("jac", jac)
    out, vj = torch.autograd.functional.vjp(lambda x: x**3, a, v, create_graph=True)
    check("vjp out", out)
    check("vjp", vj)
    (hv.sum() + jac.sum() + vj.sum()).backward()
    check("a.grad", a.grad)


@scenario(tags=["autograd_api", "errors"], dtypes=["float32", "float64"])
def functional_strict_mode_errors(torch, check):
    a = check.data((3,), seed=14, requires_grad=True)
    b = check.data((2,), seed=15, requires_grad=True)
    af = torch.autograd.functional
    check.error("jacobian independent", lambda: af.jacobian(lambda x, y: x * 2, (a, b), strict=True))
    check.error("vjp independent", lambda: af.vjp(lambda x, y: x * 2, (a, b), a.detach(), strict=True))
    check.error("output without grad", lambda: af.jvp(lambda x: x.detach(), a, a.detach(), strict=True))
    check.error("hessian of linear", lambda: af.hessian(lambda x: (x * 2).sum(), a, strict=True))
    check.error("strict and vectorize", lambda: af.jacobian(lambda x: x * 2, a, strict=True, vectorize=True))
    # not strict: the zeros torch returns for the independent input
    check("not strict", af.vjp(lambda x, y: x * 2, (a, b), a.detach()))


@scenario(tags=["autograd_api", "errors"], dtypes=["float32", "float64"])
def functional_v_errors(torch, check):
    a = check.data((3,), seed=16, requires_grad=True)
    af = torch.autograd.functional
    check.error("vjp v wrong shape", lambda: af.vjp(lambda x: x * 2, a, check.data((2,), seed=17)))
    check.error("vjp v missing", lambda: af.vjp(lambda x: x * 2, a))
    check.error("jvp v missing", lambda: af.jvp(lambda x: x * 2, a))
    check.error("entry wrong shape", lambda: af.vjp(lambda x: (x, x * 2), a, (a.detach(), a.detach()[:1])))
    check.error("tuple wrong length", lambda: af.vjp(lambda x: (x, x * 2), a, (a.detach(),)))
    check.error("two v for one output", lambda: af.hvp(lambda x: (x * x).sum(), a, (a.detach(), a.detach())))
    check.error("list inputs", lambda: af.jacobian(lambda x: x, [a]))


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def functional_vectorize_and_forward_mode(torch, check):
    a = check.data((3,), seed=18, requires_grad=True)
    b = check.data((2,), seed=19, requires_grad=True)

    def f(x, y):
        return x.exp() * y.sum(), (x * x).sum() * y

    af = torch.autograd.functional
    check("vectorize", af.jacobian(f, (a, b), vectorize=True))
    check("vectorize create_graph", af.jacobian(f, (a, b), vectorize=True, create_graph=True))
    check("hessian vectorize", af.hessian(lambda x: (x**3).sum(), a, vectorize=True))
    # forward mode on inputs without grad (torch's results otherwise carry a forward-AD history)
    fwd = af.jacobian(f, (a.detach(), b.detach()), vectorize=True, strategy="forward-mode")
    check("forward-mode", fwd)
    check.error("forward-mode without vectorize", lambda: af.jacobian(f, (a, b), strategy="forward-mode"))
    check.error(
        "forward-mode create_graph",
        lambda: af.jacobian(f, (a, b), create_graph=True, vectorize=True, strategy="forward-mode"),
    )
    check.error("bad strategy", lambda: af.jacobian(f, (a, b), strategy="backward"))


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def forward_mode_jacobian_of_inputs_that_require_grad(torch, check):
    x = check.data((3,), requires_grad=True)
    jac = torch.autograd.functional.jacobian(lambda x: x.sin() * 2, x, vectorize=True, strategy="forward-mode")
    check("jacobian", jac)  # the forward-mode history of x: grad_fn ReshapeAliasBackward0
