"""torch.device: ``device(type='cpu')``, ``device(type='cuda', index=0)``."""

from __future__ import annotations

from ._backend import require_cupy


class device:  # noqa: N801 - mirrors torch.device
    __slots__ = ("index", "type")

    def __init__(self, type: str | device, index: int | None = None) -> None:
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type.__class__.__name__})")
        if ":" in type:
            if index is not None:
                raise RuntimeError(
                    f"type (string) must not include an index because index was passed explicitly: {type}"
                )
            type, idx = type.split(":", 1)  # noqa: A001
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, "
                f"lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device string: {type}"
            )
        self.type, self.index = type, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __enter__(self) -> device:
        """``with torch.device('cuda'):`` makes this the default device inside the block."""
        global _default_device
        _entered.append(_default_device)
        _default_device = None if self.type == "cpu" else self
        return self

    def __exit__(self, *exc: object) -> None:
        global _default_device
        _default_device = _entered.pop()


CPU = device("cpu")
CUDA0 = device("cuda", 0)


def as_device(d: str | device | int | None) -> device | None:
    """Normalise a ``device=`` argument; a bare 'cuda' means the current GPU (index 0)."""
    if d is None:
        return None
    if isinstance(d, int):
        return device("cuda", d)
    d = device(d)
    if d.type == "cuda" and d.index is None:
        return CUDA0
    return d


# torch.set_default_device: where factories (tensor, zeros, randn, nn module parameters ...) put a tensor
# when no device= is given. None means the CPU (torch's state before any call). Like torch, setting 'cuda'
# checks nothing: the first tensor created there raises when there is no GPU.
_default_device: device | None = None
_entered: list[device | None] = []  # the defaults that ``with device(...)`` blocks replaced, innermost last


def set_default_device(d: str | device | int | None) -> None:
    """torch.set_default_device; ``None`` (or 'cpu') goes back to creating tensors on the CPU."""
    global _default_device
    dev = as_device(d)
    _default_device = None if dev is None or dev.type == "cpu" else dev


def get_default_device() -> device:
    """torch.get_default_device: ``device(type='cpu')`` until set_default_device names another."""
    if _default_device is None:
        return CPU
    if _default_device.type == "cuda":
        require_cupy()  # torch answers by creating a tensor there: without CuPy that raises
    return _default_device


def or_default(d: str | device | int | None) -> str | device | int | None:
    """A factory's ``device=`` argument, with the default device filled in when it is None."""
    return _default_device if d is None else d
