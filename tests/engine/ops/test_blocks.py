"""ops/_blocks.blockwise: the kernel's own result, computed block by block where the operands allow it."""

from __future__ import annotations

import numpy as np

from reference_engine.ops._blocks import BLOCK, blockwise


def test_large_contiguous_operands_go_by_blocks() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, BLOCK // 2 + 3))  # not a multiple of the block
    y = rng.standard_normal(x.shape)
    sizes: list[int] = []

    def kernel(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
        sizes.append(a.size)
        return (np.sin(a) * b + c).astype(np.float32)

    c = np.asarray(0.25)
    got = blockwise(kernel, x, y, c)
    assert got.shape == x.shape and got.dtype == np.float32
    np.testing.assert_array_equal(got, (np.sin(x) * y + c).astype(np.float32))
    assert max(sizes) == BLOCK and sum(sizes) == x.size and len(sizes) > 1


def test_other_layouts_call_the_kernel_once() -> None:
    x = np.arange(4 * BLOCK, dtype=np.float64).reshape(4, BLOCK)
    calls: list[tuple] = []

    def kernel(a: np.ndarray, *rest: np.ndarray) -> np.ndarray:
        calls.append(a.shape)
        return a + sum(rest)

    for args in ((x.T,), (x, x[:1]), (x[:, ::2],), (x[:2],)):  # strided, broadcast, small
        calls.clear()
        got = blockwise(kernel, *args)
        np.testing.assert_array_equal(got, args[0] + sum(args[1:]))
        assert calls == [args[0].shape]
