"""PixelShuffle, PixelUnshuffle and ChannelShuffle."""

from __future__ import annotations

from .. import functional as F
from ._wrapper import _FunctionalLayer


class PixelShuffle(_FunctionalLayer):
    _fn, _args = staticmethod(F.pixel_shuffle), ("upscale_factor",)

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor


class PixelUnshuffle(_FunctionalLayer):
    _fn, _args = staticmethod(F.pixel_unshuffle), ("downscale_factor",)

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor


class ChannelShuffle(_FunctionalLayer):
    _fn, _args = staticmethod(F.channel_shuffle), ("groups",)

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups
