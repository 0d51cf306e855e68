"""Conv1d, ConvTranspose1d and ConvTranspose2d on torch's _ConvNd (modules/conv.py)."""

from __future__ import annotations

from typing import Any

from ...tensor import Tensor
from .._conv_more import conv1d, conv_transpose1d, conv_transpose2d
from .._padding import pad
from .conv import _ConvNd


class Conv1d(_ConvNd):
    _dims = 1

    """1-D convolution over (N, C, L) or (C, L) inputs."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if self.padding_mode != "zeros":
            padded = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv1d(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype, output_padding)  # fmt: skip

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:  # noqa: A002
        """torch's _output_padding: the output_padding that makes the output ``output_size``."""
        if output_size is None:
            return self.output_padding
        n = self._dims
        lead = 2 if input.ndim == n + 2 else 1
        if len(output_size) == lead + n:
            output_size = output_size[lead:]
        if len(output_size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.ndim}D input, output_size must have {n} or {lead + n} elements "
                f"(got {len(output_size)})"
            )
        min_sizes = [
            (input.shape[d + lead] - 1) * self.stride[d] - 2 * self.padding[d]
            + self.dilation[d] * (self.kernel_size[d] - 1) + 1
            for d in range(n)
        ]  # fmt: skip
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride, strict=True)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes, strict=True):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from {min_sizes} to "
                    f"{max_sizes} (for an input of {input.shape[2:]})"
                )
        return tuple(size - lo for size, lo in zip(output_size, min_sizes, strict=True))

    def _args(self, input: Tensor, output_size: Any) -> tuple:  # noqa: A002
        out_pad = self._output_padding(input, output_size)
        return (self.weight, self.bias, self.stride, self.padding, out_pad, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (the input grad of Conv1d) over (N, C, L) or (C, L) inputs."""

    _dims = 1

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return conv_transpose1d(input, *self._args(input, output_size))


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (the input grad of Conv2d) over (N, C, H, W) or (C, H, W) inputs."""

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return conv_transpose2d(input, *self._args(input, output_size))


__all__ = ["Conv1d", "ConvTranspose1d", "ConvTranspose2d"]
