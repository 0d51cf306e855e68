"""The scenario's ResNet-18: torchvision's architecture and names, and the same numbers on both engines.

torchvision is not installed next to this torch, so the architecture is
checked against a list of torchvision's ``resnet18()`` state_dict entries
written out below from its documented structure (conv1/bn1, four layers of
two BasicBlocks of widths 64/128/256/512, a 1x1-conv + BatchNorm downsample
on the first block of layers 2-4, fc 512 -> 1000) and against its documented
parameter count, 11,689,512. Where torchvision is importable, the keys and
shapes are also compared with the real thing.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as re_
from conformance.compare import compare_arrays
from conformance.scenario import drain_pending


def _resnet18(ns: Any, num_classes: int = 1000) -> Any:
    module = importlib.import_module("scenarios.resnet18")
    drain_pending()  # importing registers the file's scenarios; this test only wants the model
    return module.resnet18(ns, num_classes)


def _conv_bn(prefix: str, cout: int, cin: int, k: int, bn: str) -> list[tuple[str, tuple[int, ...]]]:
    return [(f"{prefix}.weight", (cout, cin, k, k)), *_bn(bn, cout)]


def _bn(prefix: str, c: int) -> list[tuple[str, tuple[int, ...]]]:
    return [
        (f"{prefix}.weight", (c,)),
        (f"{prefix}.bias", (c,)),
        (f"{prefix}.running_mean", (c,)),
        (f"{prefix}.running_var", (c,)),
        (f"{prefix}.num_batches_tracked", ()),
    ]


# (layer, block, in channels, out channels, has downsample): torchvision's resnet18 BasicBlocks in order
BLOCKS = [
    ("layer1", 0, 64, 64, False),
    ("layer1", 1, 64, 64, False),
    ("layer2", 0, 64, 128, True),
    ("layer2", 1, 128, 128, False),
    ("layer3", 0, 128, 256, True),
    ("layer3", 1, 256, 256, False),
    ("layer4", 0, 256, 512, True),
    ("layer4", 1, 512, 512, False),
]


def torchvision_resnet18_state() -> list[tuple[str, tuple[int, ...]]]:
    """torchvision.models.resnet18().state_dict() as (key, shape), in order."""
    out = _conv_bn("conv1", 64, 3, 7, "bn1")
    for layer, i, cin, cout, down in BLOCKS:
        p = f"{layer}.{i}"
        out += _conv_bn(f"{p}.conv1", cout, cin, 3, f"{p}.bn1")
        out += _conv_bn(f"{p}.conv2", cout, cout, 3, f"{p}.bn2")
        if down:
            out += _conv_bn(f"{p}.downsample.0", cout, cin, 1, f"{p}.downsample.1")
    return [*out, ("fc.weight", (1000, 512)), ("fc.bias", (1000,))]


def _keys_shapes(model: Any) -> list[tuple[str, tuple[int, ...]]]:
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


@pytest.mark.parametrize("ns", [torch, re_], ids=["torch", "engine"])
def test_state_dict_matches_torchvision_resnet18(ns: Any) -> None:
    expected = torchvision_resnet18_state()
    assert len(expected) == 122  # 20 convs + 20 batch norms x 5 entries + fc weight and bias
    assert _keys_shapes(_resnet18(ns)) == expected


@pytest.mark.parametrize("ns", [torch, re_], ids=["torch", "engine"])
def test_parameter_count_is_torchvisions(ns: Any) -> None:
    model = _resnet18(ns)
    assert sum(p.numel() for p in model.parameters()) == 11_689_512  # torchvision's documented num_params
    assert sum(1 for _ in model.parameters()) == 62


def test_state_dict_matches_real_torchvision_when_installed() -> None:
    models = pytest.importorskip("torchvision.models", reason="torchvision is not installed next to this torch")
    assert _keys_shapes(_resnet18(torch)) == _keys_shapes(models.resnet18())


def test_engine_repr_matches_torch() -> None:
    assert repr(_resnet18(re_)) == repr(_resnet18(torch))


def _same(actual: Any, expected: torch.Tensor, what: str) -> None:
    diff = compare_arrays(np.asarray(actual._data), expected.detach().numpy())
    assert diff.ok, f"{what}: {diff.describe()}"


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_full_forward_backward_matches_torch_float64(train: bool) -> None:
    """Every parameter grad and running stat of a whole trainable ResNet-18 step, float64."""
    # A fixed init: with batch 2 at 1x1 spatial size, layer4's BatchNorm can map a channel to values
    # within rounding of 0, where the ReLU masks of two correct engines may differ; unseeded, the test
    # would depend on whatever ran before it in the same worker.
    torch.manual_seed(0)
    tm = _resnet18(torch, 10).double()
    em = _resnet18(re_, 10).double()
    em.load_state_dict({k: re_.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tm.train(train)
    em.train(train)
    x = np.random.default_rng(3).uniform(-1, 1, (2, 3, 32, 32))
    y = np.array([1, 7])
    lt = torch.nn.functional.cross_entropy(tm(torch.tensor(x)), torch.tensor(y))
    le = re_.nn.functional.cross_entropy(em(re_.tensor(x)), re_.tensor(y))
    _same(le, lt, "loss")
    lt.backward()
    le.backward()
    for (name, tp), (ename, ep) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        assert name == ename
        _same(ep.grad, tp.grad, f"{name}.grad")
    for (name, tb), (_, eb) in zip(tm.named_buffers(), em.named_buffers(), strict=True):
        _same(eb, tb, name)


def _graph_node_counts(root: Any) -> dict[str, int]:
    """How many nodes of each grad_fn class the backward graph from ``root`` holds."""
    seen: set[int] = set()
    stack = [root]
    counts: dict[str, int] = {}
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        counts[type(node).__name__] = counts.get(type(node).__name__, 0) + 1
        stack.extend(fn for fn, _ in node.next_functions)
    return counts


def test_backward_graph_has_torchs_node_types() -> None:
    """Same grad_fn classes, same number of each: convolutions, batch norms, in-place ReLUs, max pool, mean..."""
    tm, em = _resnet18(torch, 10), _resnet18(re_, 10)
    x = np.random.default_rng(4).uniform(-1, 1, (2, 3, 32, 32)).astype(np.float32)
    counts_t = _graph_node_counts(tm(torch.tensor(x)).sum().grad_fn)
    counts_e = _graph_node_counts(em(re_.tensor(x)).sum().grad_fn)
    assert counts_e == counts_t
    assert counts_t["NativeBatchNormBackward0"] == 20 and counts_t["ReluBackward0"] == 17
