"""torch's layout and memory-format constants (``torch.strided``, ``torch.contiguous_format`` ...).

The engine's tensors are dense and row-major, so these name what torch would use rather than change how
data is stored: ``x.layout`` is ``torch.strided``, and the ``memory_format=`` of ``clone``, ``to``,
``float()`` ... is accepted and leaves the values as they are (torch's values do not depend on it either).
"""

from __future__ import annotations


class _Named:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # pickled by name: the module-level constant


class layout(_Named):  # noqa: N801 - torch's class name
    __slots__ = ()


class memory_format(_Named):  # noqa: N801 - torch's class name
    __slots__ = ()


strided = layout("strided")
sparse_coo = layout("sparse_coo")  # only named (no sparse tensors): factories reject it with torch's message
contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
