"""The broadcast shape of two operands, with torch's error: shared by the losses and cosine_similarity."""

from __future__ import annotations


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast shape of ``a`` and ``b``, with torch's error when they do not broadcast."""
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(pa, pb, strict=True)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}"
            )
        out.append(max(x, y) if x != 0 and y != 0 else 0)
    return tuple(out)
