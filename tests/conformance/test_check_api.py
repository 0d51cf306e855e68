"""The ``check`` harness in one process: what it observes, how it numbers repeated labels, what it refuses, and
the global state each run starts from and puts back. Expected labels and values come from real torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import reference_engine
from conformance import signals
from conformance.backends import CPU_PAIR
from conformance.isolation import isolation_for
from conformance.runner import CHECKS_NOTHING, run_item
from tests.conformance.helpers import inline, run_cpu


def _labels(obs: object) -> list[str]:
    return [e.label for e in obs.entries]  # type: ignore[attr-defined]


def test_an_optimizer_is_observed_as_its_state_dict() -> None:
    def sgd_state(torch, check):
        w = torch.tensor([1.0, -2.0], requires_grad=True)
        opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
        (w * w).sum().backward()
        opt.step()
        check("opt", opt)

    result = run_cpu(inline(sgd_state, tags=["optim"]))
    assert result.status == "pass", result.message
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    group = opt.state_dict()["param_groups"][0]
    expected = ["opt.state.0.momentum_buffer"] + [
        f"opt.param_groups[0].{k}" if k != "params" else "opt.param_groups[0].params[0]" for k in group
    ]
    assert _labels(result.torch) == expected
    assert _labels(result.engine) == expected
    buffer = result.torch.entries[0].value
    np.testing.assert_array_equal(buffer, opt.state[w]["momentum_buffer"].numpy())


def test_a_generator_is_observed_as_its_items_and_check_returns_the_list() -> None:
    def squares(torch, check):
        items = check("sq", (torch.tensor(float(i)) ** 2 for i in range(3)))
        check("n", len(items))
        check("params", torch.nn.Linear(2, 1).parameters())

    result = run_cpu(inline(squares, tags=["errors"]))
    assert result.status == "pass", result.message
    assert _labels(result.torch) == ["sq[0]", "sq[1]", "sq[2]", "n", "params[0]", "params[1]"]
    assert [e.value for e in result.torch.entries[:4]] == [0.0, 1.0, 4.0, 3]


def test_a_repeated_label_is_numbered_alike_on_both_sides() -> None:
    def loop(torch, check):
        x = torch.ones(2)
        for _ in range(3):
            x = x * 2
            check("x", x)
        check("y", {"a": 1, "b": [2, 3]})
        check("y", {"a": 1})

    result = run_cpu(inline(loop, tags=["errors"]))
    assert result.status == "pass"
    expected = ["x", "x#2", "x#3", "y.a", "y.b[0]", "y.b[1]", "y.a#2"]
    assert _labels(result.torch) == expected and _labels(result.engine) == expected
    assert [float(e.value[0]) for e in result.engine.entries[:3]] == [2.0, 4.0, 8.0]


@pytest.mark.parametrize(
    ("value", "what"),
    [("torch.optim.SGD", "the class SGD"), ("lambda: 1", "a function"), ("object()", "a object"),
     ("b'bytes'", "a bytes")],
)  # fmt: skip
def test_an_unobservable_value_is_a_runner_error_naming_its_type(value: str, what: str) -> None:
    func = eval(f"lambda torch, check: check('v', {value})")
    func.__name__ = "unobservable"
    result = run_cpu(inline(func, tags=["errors"]))
    assert result.status == "runner-error"
    assert f"check('v'): {what} is not observable" in result.message


def test_misuse_is_a_runner_error_even_when_both_sides_agree_and_the_item_is_an_expected_divergence() -> None:
    def typo(torch, check):
        check("x", torch.ones(1))
        check.eror("bad", lambda: 1)

    sc = inline(typo, tags=["errors"])
    result = run_item(sc, "float32", CPU_PAIR, "typo[float32-cpu-numpy]", "planted: declared divergent")
    assert result.status == "runner-error"
    assert "check has no attribute 'eror'" in result.message


@pytest.mark.parametrize(
    ("args", "error"),
    [("'', 1", "a checkpoint label must be a non-empty str, got ''"),
     ("3, 1", "a checkpoint label must be a non-empty str, got 3"),
     ("'x', 1, widen=0", "widen must be a number > 0"),
     ("'x'", "check(): missing a required argument: 'value'")],
)  # fmt: skip
def test_bad_arguments_to_check_are_misuse(args: str, error: str) -> None:
    func = eval(f"lambda torch, check: check({args})")
    func.__name__ = "bad_args"
    result = run_cpu(inline(func, tags=["errors"]))
    assert result.status == "runner-error" and error in result.message


def test_checking_nothing_is_a_runner_error_but_an_exception_alone_is_an_observation() -> None:
    def nothing(torch, check):
        torch.ones(2) * 3

    def only_raises(torch, check):
        torch.ones(2) @ torch.ones(3)

    assert run_cpu(inline(nothing, tags=["errors"])).message == CHECKS_NOTHING
    result = run_cpu(inline(only_raises, tags=["errors"]))
    assert result.status == "pass"
    with pytest.raises(RuntimeError) as torch_error:
        torch.ones(2) @ torch.ones(3)
    assert result.torch.error == ("RuntimeError", str(torch_error.value).splitlines()[0])


def test_a_real_interrupt_is_not_recorded_as_the_scenarios_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(torch, check):
        check("x", torch.ones(1))
        raise KeyboardInterrupt

    sc = inline(interrupted, tags=["errors"])
    assert run_cpu(sc).torch.error == ("KeyboardInterrupt", "")  # raised by the scenario itself: its exception
    monkeypatch.setitem(signals._STATE, "requested", True)  # as after SIGINT/SIGTERM reached the handler
    with pytest.raises(KeyboardInterrupt):
        run_cpu(sc)


def test_global_state_a_scenario_leaves_is_restored_and_listed_per_side() -> None:
    def leaky(torch, check):
        torch.set_printoptions(precision=2)
        np.seterr(over="raise")
        if torch.__name__ == "torch":
            torch.nn.modules.module.register_module_forward_hook(lambda m, a, out: out)
            torch.set_grad_enabled(False)
        check("x", torch.ones(1))

    result = run_cpu(inline(leaky, tags=["nn"]))
    leaks = result.record.leaks
    assert "print options: precision 4 -> 2" in leaks["torch"] and "print options: precision 4 -> 2" in leaks["engine"]
    assert any(line.startswith("numpy error state: over 'warn' -> 'raise'") for line in leaks["engine"])
    assert "global module hooks _global_forward_hooks: 0 -> 1 registered" in leaks["torch"]
    # grad mode is the runner's own per-run setting: put back, like the rest
    assert torch.is_grad_enabled() and not torch.nn.modules.module._global_forward_hooks
    assert torch._tensor_str.PRINT_OPTS.precision == 4 and reference_engine._printing.PRINT_OPTS.precision == 4
    assert np.geterr()["over"] == "warn"
    assert isolation_for(torch).changes() == [] and isolation_for(reference_engine).changes() == []
