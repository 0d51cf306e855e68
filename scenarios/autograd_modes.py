"""Autograd modes: anomaly detection, inference mode, grad-mode decorators.

Anomaly mode's "Error detected in ..." warning carries the forward traceback (file paths and frames differ
between the two runs), so those scenarios catch warnings themselves and check the first line and category.
"""

import warnings

from conformance import scenario


def _caught(fn):
    """Run ``fn`` catching its warnings; the error it raised (or None) and each warning's category and first line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn()
            error = None
        except RuntimeError as e:
            error = str(e)
    # torch's C++ warnings end in "(Triggered internally at <file>)"; the runner drops it, so does this
    lines = [str(w.message).splitlines()[0].split(" (Triggered internally at ")[0] for w in caught]
    return error, [f"{w.category.__name__}: {line}" for w, line in zip(caught, lines, strict=True)]


@scenario(tags=["autograd_api"], dtypes=["float32", "float64"])
def anomaly_mode_flags(torch, check):
    check("default", (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()))
    with torch.autograd.detect_anomaly():  # warns that anomaly detection is on (compared by the runner)
        check("detect_anomaly", (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()))
    with torch.autograd.detect_anomaly(check_nan=False):
        check("detect_anomaly no nan", (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()))
    check("after", (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()))
    torch.autograd.set_detect_anomaly(True, check_nan=False)
    check("set_detect_anomaly call", (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()))
    with torch.autograd.set_detect_anomaly(False):
        check("set_detect_anomaly block", (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()))
    check("restored", (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()))
    torch.set_anomaly_enabled(False)
    check("set_anomaly_enabled", (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()))
    check.error("non-bool", lambda: torch.set_anomaly_enabled(1))


@scenario(tags=["autograd_api", "errors"], dtypes=["float32", "float64"])
def anomaly_nan_in_backward_raises(torch, check):
    x = check.data((3,), requires_grad=True)

    def run():
        with torch.autograd.detect_anomaly():
            (x * 0).sqrt().sum().backward()  # sqrt's grad at 0 is inf, times 0 gives NaN in MulBackward0

    error, caught = _caught(run)
    check("error", error)
    check("warnings", caught)
    check("x.grad is None", x.grad is None)

    y = x / x.detach().clamp(min=2)  # no NaN: backward runs normally under anomaly mode
    with torch.autograd.set_detect_anomaly(True):
        y.sum().backward()
    check("x.grad", x.grad)


@scenario(tags=["autograd_api", "errors"], dtypes=["float32", "float64"])
def anomaly_nan_index_and_check_nan_off(torch, check):
    x = check.data((2,), requires_grad=True)
    z = torch.zeros(2, requires_grad=True)

    def run():
        with torch.autograd.set_detect_anomaly(True):
            (x * z / z).sum().backward()  # DivBackward0: inf for self, -0/0 = NaN for other: "1th output"

    error, caught = _caught(run)
    check("error", error)
    check("warnings", caught)

    with torch.autograd.set_detect_anomaly(True, check_nan=False):
        (x * 0).sqrt().sum().backward()
    check("x.grad with check_nan off", x.grad)
    (z * 0).sqrt().sum().backward()  # anomaly mode off: NaN goes through
    check("z.grad with anomaly off", z.grad)


@scenario(tags=["autograd_api", "errors"], dtypes=["float32", "float64"])
def anomaly_warning_names_failing_node(torch, check):
    x = check.data((3,), requires_grad=True)
    with torch.autograd.set_detect_anomaly(True, check_nan=False):
        y = x.exp()  # recorded in anomaly mode: its forward traceback is kept
    y.add_(1)
    outside = x.sin() * 2  # recorded outside anomaly mode: no traceback
    outside.sum().backward(retain_graph=True)

    def modified():
        with torch.autograd.set_detect_anomaly(True):
            y.sum().backward()

    def freed():
        with torch.autograd.set_detect_anomaly(True):
            outside.sum().backward()  # freed graph: MulBackward0 raises

    outside.sum().backward()
    for label, fn in (("modified", modified), ("freed", freed)):
        error, caught = _caught(fn)
        check(f"{label} error", error)  # in anomaly mode the version-counter error ends in its own hint
        check(f"{label} warnings", caught)


@scenario(tags=["autograd_api", "no_grad"], dtypes=["float32", "float64"])
def inference_mode_makes_inference_tensors(torch, check):
    x = check.data((3,), requires_grad=True)
    check("enabled before", torch.is_inference_mode_enabled())
    with torch.inference_mode():
        check("enabled inside", (torch.is_inference_mode_enabled(), torch.is_grad_enabled()))
        a = x * 2
        b = torch.ones(3)
        v = x[:2]  # a view of a normal tensor stays normal
        with torch.inference_mode(False):
            check("nested off", (torch.is_inference_mode_enabled(), torch.is_grad_enabled()))
            c = torch.ones(3)
    check("a", a)
    check("is_inference", (a.is_inference(), b.is_inference(), v.is_inference(), c.is_inference(), x.is_inference()))
    check(
        "derived", (a[1:].is_inference(), a.detach().is_inference(), a.clone().is_inference(), (a + 1).is_inference())
    )
    with torch.no_grad():
        with torch.inference_mode(False):
            check("inference_mode(False) in no_grad", torch.is_grad_enabled())
    check("enabled after", (torch.is_inference_mode_enabled(), torch.is_grad_enabled()))


@scenario(tags=["autograd_api", "no_grad"], dtypes=["float32", "float64"])
def inference_mode_as_decorator(torch, check):
    x = check.data((3,), requires_grad=True)

    @torch.inference_mode
    def bare(t):
        return t * 2, torch.is_inference_mode_enabled()

    @torch.inference_mode()
    def called(t):
        return t + 1

    @torch.inference_mode(False)
    def off(t):
        return t * 3

    @torch.inference_mode()
    def gen(t):
        yield torch.is_inference_mode_enabled()
        yield t * 4

    out, enabled = bare(x)
    check("bare", (out, enabled, out.is_inference()))
    check("called", called(x))
    check("called is_inference", called(x).is_inference())
    check("off", off(x))
    check("generator", list(gen(x)))
    check("enabled after", torch.is_inference_mode_enabled())


@scenario(tags=["autograd_api", "errors"], dtypes=["float32", "float64"])
def inference_tensor_in_autograd(torch, check):
    x = check.data((3,), requires_grad=True)
    with torch.inference_mode():
        a = check.data((3,), seed=1) * 1
    check.error("saved by mul", lambda: x * a)
    check.error("saved by mul, other side", lambda: a * x)
    check.error("view saved", lambda: x * a[:])
    y = x + a  # add saves nothing: allowed
    check("y", y)
    y.sum().backward()
    check("x.grad", x.grad)
    z = (x * a.clone()).sum()  # a clone is a normal tensor
    z.backward()
    check("x.grad after clone", x.grad)
    with torch.no_grad():
        check("no_grad product", x * a)


@scenario(tags=["autograd_api", "errors", "inplace"], dtypes=["float32", "float64"])
def inference_tensor_inplace_and_requires_grad(torch, check):
    with torch.inference_mode():
        a = check.data((3,)) * 1
        a.add_(1)  # inside inference mode: allowed
        b = torch.ones(2)
        check("requires_grad_ inside", b.requires_grad_().requires_grad)
    check.error("add_ outside", lambda: a.add_(1))
    check("a after add_", a)  # torch writes, then refuses to bump the version
    check.error("view fill_", lambda: a[0].fill_(5))
    with torch.no_grad():
        check.error("mul_ under no_grad", lambda: a.mul_(2))
    with torch.inference_mode():
        with torch.inference_mode(False):
            check.error("add_ under inference_mode(False)", lambda: a.add_(1))
    check("a", a)
    check.error("requires_grad_", lambda: a.requires_grad_())
    check("requires_grad_(False)", a.requires_grad_(False).requires_grad)
    c = a.clone()
    c.add_(1)
    check("clone add_", c)


@scenario(tags=["autograd_api", "no_grad"], dtypes=["float32", "float64"])
def grad_mode_decorators_on_functions_and_generators(torch, check):
    x = check.data((2,), requires_grad=True)

    @torch.no_grad
    def bare(t):
        return t * 2

    @torch.no_grad()
    def called(t):
        return t * 2

    @torch.enable_grad()
    def enabled(t):
        return t * 2

    @torch.set_grad_enabled(False)
    def disabled(t):
        return t * 2

    @torch.no_grad()
    def gen(t):
        for i in range(2):
            got = yield (t * i, torch.is_grad_enabled())
            check(f"sent {i}", got)

    @torch.enable_grad()
    def gen_enabled(t):
        yield (t * 3).requires_grad

    check("bare", bare(x))
    check("called", called(x))
    with torch.no_grad():
        check("enable_grad inside no_grad", enabled(x))
        check("enable_grad generator inside no_grad", list(gen_enabled(x)))
    check("set_grad_enabled decorator", disabled(x))
    check("grad still enabled", torch.is_grad_enabled())
    g = gen(x)
    first = next(g)
    check("first", first)
    check("caller's mode while generator is paused", torch.is_grad_enabled())
    check("second", g.send("hello"))
    check.error("exhausted", lambda: g.send("bye"))
    with torch.set_grad_enabled(False):
        check("set_grad_enabled block", (x * 2, torch.is_grad_enabled()))
    torch.set_grad_enabled(False)
    check("set_grad_enabled call", torch.is_grad_enabled())
    torch.set_grad_enabled(True)
