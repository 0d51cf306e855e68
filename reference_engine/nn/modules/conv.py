"""Convolution layers: torch's _ConvNd (attributes, repr, initialisation), Conv1d/2d/3d, ConvTranspose1d/2d/3d."""

from __future__ import annotations

from typing import Any

from ...tensor import Tensor
from .. import functional as F
from ..module import Module
from .linear import _kaiming_reset, _weight_and_bias


def _check_conv_args(in_channels: int, out_channels: int, groups: int, padding: Any, stride: tuple) -> None:
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")


def _ntuple(v: Any, n: int) -> tuple[int, ...]:
    if isinstance(v, int):
        return (v,) * n
    t = tuple(int(e) for e in v)
    return t * n if len(t) == 1 else t


class _ConvNd(Module):
    """torch's _ConvNd for ``_dims`` spatial dims; the weight is (out, in/groups, *k), or (in, out/groups, *k)
    when transposed."""

    _dims = 2
    _transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
        output_padding: Any = 0,
    ) -> None:
        super().__init__()
        n = self._dims
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        stride_t = _ntuple(stride, n)
        _check_conv_args(in_channels, out_channels, groups, padding, stride_t)
        valid_padding_modes = {"zeros", "reflect", "replicate", "circular"}  # printed as a set, as torch does
        if padding_mode not in valid_padding_modes:
            raise ValueError(
                f"padding_mode must be one of {valid_padding_modes}, but got padding_mode='{padding_mode}'"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _ntuple(kernel_size, n), stride_t
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, n)
        self.dilation, self.groups = _ntuple(dilation, n), groups
        self.transposed, self.output_padding = self._transposed, _ntuple(output_padding, n)
        self.padding_mode = padding_mode
        channels = (in_channels, out_channels // groups) if self._transposed else (out_channels, in_channels // groups)
        # F.pad's amounts for the non-zeros padding modes: last dim first, (left, right) each
        self._reversed_padding_repeated_twice = [0, 0] * n
        for i, (k, d) in enumerate(zip(self.kernel_size, self.dilation, strict=True)):
            j = 2 * (n - 1 - i)
            if padding == "same":
                total = d * (k - 1)
                self._reversed_padding_repeated_twice[j : j + 2] = [total // 2, total - total // 2]
            elif not isinstance(padding, str):
                self._reversed_padding_repeated_twice[j : j + 2] = [self.padding[i]] * 2
        factory = {"device": device, "dtype": dtype}
        _weight_and_bias(self, (*channels, *self.kernel_size), out_channels, bias, factory)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _kaiming_reset(self.weight, self.bias, draw_empty_bias=False)

    def _conv_forward(self, input: Tensor, conv: Any) -> Tensor:
        """``conv`` (F.conv1d, F.conv2d) of ``input``, padded first by F.pad for the non-zeros padding modes."""
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        n = self._dims
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) or (C, H, W) inputs."""

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, F.conv2d)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) or (C, L) inputs."""

    _dims = 1

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, F.conv1d)


class Conv3d(_ConvNd):
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W) inputs."""

    _dims = 3

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, F.conv3d)


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

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:
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

    def _args(self, input: Tensor, output_size: Any) -> tuple:
        out_pad = self._output_padding(input, output_size)
        return (self.weight, self.bias, self.stride, self.padding, out_pad, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (the input grad of Conv1d) over (N, C, L) or (C, L) inputs."""

    _dims = 1

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return F.conv_transpose1d(input, *self._args(input, output_size))


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (the input grad of Conv2d) over (N, C, H, W) or (C, H, W) inputs."""

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return F.conv_transpose2d(input, *self._args(input, output_size))


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution (the input grad of Conv3d) over (N, C, D, H, W) or (C, D, H, W) inputs."""

    _dims = 3

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return F.conv_transpose3d(input, *self._args(input, output_size))
