"""Random numbers that reproduce torch's CPU generator bit for bit.

The generator is torch's: MT19937 seeded with the low 32 bits of the seed
(``_mt19937.py``), plus a cached second Box-Muller sample. Each sampler below
draws the same words in the same order and applies the same transform with
the same float rounding as torch 2.13's CPU kernels, including the size and
dtype switches (see docs/rng.md for the table and the few known gaps).

Importing this module also attaches ``normal_``, ``uniform_``,
``bernoulli_``, ``random_`` and ``exponential_`` to ``Tensor``.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _dtype as D
from . import _rng_math as RM
from ._backend import array_module, to_numpy
from ._creation import _place, _xp_for
from ._device import as_device, or_default
from ._mt19937 import MT19937, N
from ._normal_f32 import box_muller_f32
from .autograd.graph import Node
from .ops._util import grad_recording, needs, record
from .ops.inplace import check_inplace, scalar_type_name
from .tensor import Tensor, _size_args

_DEFAULT_SEED = 67280421310721  # torch's default_rng_seed_val
_U64 = 0xFFFFFFFFFFFFFFFF
# torch's byte-tensor state: the legacy THGeneratorState (seed, left, seeded, next, 624 uint64 words, the
# double-normal cache fields) followed by the float-normal cache; 5056 bytes with C struct padding.
_STATE_DTYPE = np.dtype(
    [
        ("the_initial_seed", "<u8"), ("left", "<i4"), ("seeded", "<i4"), ("next", "<u8"),
        ("state", "<u8", (N,)), ("normal_x", "<f8"), ("normal_y", "<f8"), ("normal_rho", "<f8"),
        ("normal_is_valid", "<i4"), ("_pad0", "<i4"), ("next_float_normal_sample", "<f4"),
        ("is_next_float_normal_sample_valid", "u1"), ("_pad1", "u1", (3,)),
    ]
)  # fmt: skip
assert _STATE_DTYPE.itemsize == 5056


class Generator:
    """torch.Generator for the CPU: MT19937 state, the initial seed and the cached normal samples."""

    def __init__(self, device: Any = "cpu") -> None:
        self.device = device
        self._mt = MT19937(_DEFAULT_SEED)
        self._seed = _DEFAULT_SEED
        self._next_double_normal: float | None = None
        self._next_float_normal: float | None = None

    def manual_seed(self, seed: Any) -> Generator:
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & _U64
        self._mt.seed(self._seed)
        self._next_double_normal = None
        self._next_float_normal = None
        return self

    def seed(self) -> int:
        """Seed from the OS's entropy (torch reads /dev/urandom) and return the seed."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        return Tensor._make(_pack_state(self))

    def set_state(self, new_state: Tensor) -> Generator:
        _unpack_state(self, new_state)
        return self

    def clone_state(self) -> Generator:
        g = Generator(self.device)
        g._mt = self._mt.copy()
        g._seed, g._next_double_normal, g._next_float_normal = (
            self._seed,
            self._next_double_normal,
            self._next_float_normal,
        )
        return g


def _pack_state(g: Generator) -> np.ndarray:
    key, pos = g._mt.key_pos()
    rec = np.zeros((), dtype=_STATE_DTYPE)
    rec["the_initial_seed"] = g._seed
    # torch's mt19937 counts ``left`` down from 625 - consumed; a fresh seed has left=1, next=0 (twist pending)
    rec["left"] = 1 if g._mt.fresh else N + 1 - pos
    rec["seeded"] = 1
    rec["next"] = 0 if g._mt.fresh else pos
    rec["state"] = key.astype(np.uint64)
    if g._next_double_normal is not None:
        rec["normal_is_valid"] = 1
        rec["normal_y"] = g._next_double_normal
    if g._next_float_normal is not None:
        rec["is_next_float_normal_sample_valid"] = 1
        rec["next_float_normal_sample"] = g._next_float_normal
    return np.frombuffer(rec.tobytes(), dtype=np.uint8).copy()


def _unpack_state(g: Generator, new_state: Tensor) -> None:
    raw = np.asarray(new_state._data if isinstance(new_state, Tensor) else new_state)
    if raw.dtype != np.uint8:
        raise TypeError("expected a torch.ByteTensor")
    if raw.size != _STATE_DTYPE.itemsize:
        raise RuntimeError("Expected either a THGeneratorState of size 5048 or a CPUGeneratorImplState of size 5056 "
                           f"but found the input RNG state size to be {raw.size}")  # fmt: skip
    rec = np.frombuffer(np.ascontiguousarray(raw).tobytes(), dtype=_STATE_DTYPE)[0]
    left = int(rec["left"])
    g._mt.set_key(rec["state"].astype(np.uint32), N + 1 - left)
    g._mt.fresh = left == 1 and int(rec["next"]) == 0
    g._seed = int(rec["the_initial_seed"])
    g._next_double_normal = float(rec["normal_y"]) if rec["normal_is_valid"] else None
    valid_f = rec["is_next_float_normal_sample_valid"]
    g._next_float_normal = float(rec["next_float_normal_sample"]) if valid_f else None


default_generator = Generator()
# Draws for tensors on a GPU. torch uses a Philox generator per GPU there, which the engine does not
# reproduce: this is an MT19937 of its own, so GPU draws follow the right distribution, leave the CPU
# generator's state untouched (as in torch) and are seeded by manual_seed, but differ from torch's values.
cuda_generator = Generator("cuda")


def _gen(generator: Generator | None, where: Any = None) -> Generator:
    """The generator a draw for ``where`` (a device, a tensor or None for the CPU) uses."""
    dev = where.device if isinstance(where, Tensor) else as_device(where)
    on_cuda = dev is not None and dev.type == "cuda"
    if generator is None:
        return cuda_generator if on_cuda else default_generator
    gen_type = as_device(generator.device).type  # type: ignore[union-attr]
    if gen_type != ("cuda" if on_cuda else "cpu"):
        raise RuntimeError(
            f"Expected a '{'cuda' if on_cuda else 'cpu'}' device type for generator but found '{gen_type}'"
        )
    return generator


def manual_seed(seed: Any) -> Generator:
    """Seed the CPU generator and the GPU one, like torch.manual_seed seeds every device."""
    cuda_generator.manual_seed(seed)
    return default_generator.manual_seed(seed)


def seed() -> int:
    s = default_generator.seed()
    cuda_generator.manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, **_: Any) -> Iterator[None]:
    """torch.random.fork_rng: restore the default generator's state (cached normal included) on exit."""
    if not enabled:
        yield
        return
    saved = [(g, g.clone_state()) for g in (default_generator, cuda_generator)]
    try:
        yield
    finally:
        for g, state in saved:
            g._mt, g._seed = state._mt, state._seed
            g._next_double_normal, g._next_float_normal = state._next_double_normal, state._next_float_normal


# --------------------------------------------------------------------------- word -> value transforms
def _uniform_words(g: Generator, n: int, np_dtype: np.dtype) -> np.ndarray:
    """torch's uniform_real on [0, 1): float32 from 24 bits of a 32-bit word, float64 from 53 of a 64-bit one."""
    if np_dtype == np.float64:
        return (g._mt.random64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * (2.0**-53)
    bits = g._mt.random32(n) & np.uint64((1 << 24) - 1)
    return bits.astype(np.float32) * np.float32(2.0**-24)


_DRAW_BLOCK = 1 << 15  # samples drawn at once: the 64-bit words and float64 work of a draw stay this size


def _uniform_draw(g: Generator, n: int, np_dtype: np.dtype, low: float, high: float) -> np.ndarray:
    """uniform_real_distribution<T>(from, to): x * (to - from) + from in T, contracted to one fma by the compiler."""
    if n > _DRAW_BLOCK:
        # block by block: the words come from the generator in the same order and every step is elementwise, so
        # the samples are the same; only the temporaries (8-byte words, float64 fma) stay small
        out = np.empty(n, np_dtype)
        for i in range(0, n, _DRAW_BLOCK):
            j = min(i + _DRAW_BLOCK, n)
            out[i:j] = _uniform_draw(g, j - i, np_dtype, low, high)
        return out
    work = np.float64 if np_dtype == np.float64 else np.float32
    x = _uniform_words(g, n, np.dtype(work))
    lo, hi = work(low), work(high)
    span = work(hi - lo)
    if not (lo == 0 and span == 1):
        x = RM.fma64(x, span, lo) if work is np.float64 else RM.fma32(x, span, lo)
    # torch 2.13 keeps the interval half-open in the tensor's dtype: a value that rounds to ``to``
    # (found by experiment: uniform_(1, 1 + 2**-20) in float32, rand() in float16) becomes ``from``
    out = x.astype(np_dtype, copy=False)
    top, bottom = np_dtype.type(high), np_dtype.type(low)
    hit = out == top
    if hit.any():
        out = np.where(hit, bottom, out)
    return out


def _scalar_normals(g: Generator, n: int, mean: float, std: float) -> np.ndarray:
    """normal_distribution<double>: Box-Muller on two 53-bit uniforms, the sine kept for the next call."""
    out = np.empty(n, np.float64)
    for i in range(n):
        if g._next_double_normal is not None:
            z, g._next_double_normal = g._next_double_normal, None
        else:
            u1, u2 = _uniform_words(g, 2, np.dtype(np.float64)).tolist()
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            g._next_double_normal = r * math.sin(theta)
            z = r * math.cos(theta)
        out[i] = RM.fma_exact(z, std, mean)
    return out


def _normal_values(
    g: Generator, n: int, np_dtype: np.dtype, mean: float, std: float, contiguous: bool = True
) -> np.ndarray:
    """torch's normal_kernel: Box-Muller in blocks of 16 for n >= 16 on contiguous tensors, else the scalar path."""
    if n < 16 or not contiguous:
        return _scalar_normals(g, n, mean, std).astype(np_dtype)
    if np_dtype == np.float32:
        # raw words: the kernel turns them into uniforms chunk by chunk, while they are in cache
        return box_muller_f32(g._mt.random32, n, np.float32(mean), np.float32(std))
    u = _uniform_words(g, n, np.dtype(np.float64))
    tail = _uniform_words(g, 16, np.dtype(np.float64)) if n % 16 else None
    return RM.box_muller_blocks_f64(u, tail, float(mean), float(std)).astype(np_dtype)


def _int_range_draw(g: Generator, n: int, low: int, high: int) -> np.ndarray:
    """random_(from, to): (word % (to - from)) + from.

    torch 2.13 takes a 64-bit word once the range reaches 2**28 (found by
    experiment, for every dtype; older sources switch at 2**32), else a 32-bit one.
    """
    span = high - low
    words = g._mt.random64(n) if span >= 1 << 28 else g._mt.random32(n)
    return (
        (words % np.uint64(span)).astype(np.int64) + np.int64(low) if span < 1 << 63 else _wide_range(words, span, low)
    )


def _wide_range(words: np.ndarray, span: int, low: int) -> np.ndarray:
    return np.array([(int(w) % span + low) for w in words.tolist()], dtype=np.int64)


def _default_int_draw(g: Generator, n: int, np_dtype: np.dtype) -> np.ndarray:
    """random_() without bounds: [0, 2**mantissa] for floats, [0, max] for integers, one bit for bool."""
    wide = np_dtype in (np.float64, np.int64)
    words = g._mt.random64(n) if wide else g._mt.random32(n)
    if np_dtype == np.bool_:
        return (words & np.uint64(1)).astype(np.bool_)
    if np.issubdtype(np_dtype, np.floating):
        digits = D.np_finfo(np_dtype).nmant + 1
        return (words % np.uint64((1 << digits) + 1)).astype(np_dtype)
    top = int(np.iinfo(np_dtype).max) + 1
    return (words % np.uint64(top)).astype(np_dtype)


def _exponential_values(g: Generator, n: int, lambd: float) -> np.ndarray:
    """exponential_ on 53-bit uniforms: (-1/lambda) * log1p(-u), found by experiment (not log(1 - u))."""
    u = _uniform_words(g, n, np.dtype(np.float64))
    return (-1.0 / lambd) * RM.libm("log1p", -u)


def _bernoulli_mask(shape: tuple[int, ...], p: float, generator: Generator | None = None) -> np.ndarray:
    """bernoulli_(p) with a scalar p, as a bool array: one 53-bit uniform per element, ``u < p``.

    This is torch's portable kernel; torch builds with MKL take another path on
    Intel CPUs (see docs/rng.md). ``nn.Dropout`` keeps an element where this is True for p = 1 - drop.
    """
    n = math.prod(shape)
    g = generator if generator is not None else default_generator  # already chosen for the tensor's device
    return (_uniform_words(g, n, np.dtype(np.float64)) < p).reshape(shape)


# --------------------------------------------------------------------------- factories
def _float_dtype(dtype: D.dtype | None) -> D.dtype:
    return dtype if dtype is not None else D.get_default_dtype()


def _checked(device: Any) -> Any:
    """The device= of a factory (the default device when None), refused before anything is drawn."""
    device = or_default(device)
    _xp_for(device)  # torch's error for a GPU it does not have comes before the generator advances
    return device


def _finish(arr: np.ndarray, dtype: D.dtype, requires_grad: bool, device: Any = None) -> Tensor:
    host = np.asarray(arr, dtype=dtype.np, order="C")  # ascontiguousarray would make 0-d arrays 1-d
    t = Tensor._make(_place(host, device) if device is not None else host)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _standard_tensor(
    draw: Any, size: tuple, generator: Generator | None, dtype: D.dtype | None, device: Any, requires_grad: bool
) -> Tensor:
    """randn and rand: ``draw(generator, n, np_dtype, 0.0, 1.0)`` values in a floating tensor of ``size``."""
    dt, shape, device = _float_dtype(dtype), _size_args(size), _checked(device)
    if dt.is_complex:
        # torch draws into view_as_real(result): real and imaginary parts interleaved, a normal's std 1/sqrt(2)
        # (so that E|z|^2 = 1), a uniform's interval unchanged
        scale = 1.0 / math.sqrt(2.0) if draw is _normal_values else 1.0  # std / std::sqrt(2), as torch
        pairs = draw(_gen(generator, device), 2 * math.prod(shape), dt.to_real().np, 0.0, scale)
        return _finish(pairs.view(dt.np).reshape(shape), dt, requires_grad, device)
    arr = draw(_gen(generator, device), math.prod(shape), dt.np, 0.0, 1.0)
    return _finish(arr.reshape(shape), dt, requires_grad, device)


def randn(
    *size: Any, generator: Generator | None = None, dtype: D.dtype | None = None, device: Any = None,
    requires_grad: bool = False, out: Tensor | None = None,
) -> Tensor:  # fmt: skip
    return _standard_tensor(_normal_values, size, generator, dtype, device, requires_grad)


def rand(
    *size: Any, generator: Generator | None = None, dtype: D.dtype | None = None, device: Any = None,
    requires_grad: bool = False, out: Tensor | None = None,
) -> Tensor:  # fmt: skip
    return _standard_tensor(_uniform_draw, size, generator, dtype, device, requires_grad)


def randint(
    low: int, high: Any = None, size: Any = None, *, generator: Generator | None = None,
    dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False,
) -> Tensor:  # fmt: skip
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    shape, device = _size_args((size,)), _checked(device)
    arr = _int_range_draw(_gen(generator, device), math.prod(shape), low, high)
    return _finish(arr.reshape(shape), dtype or D.int64, requires_grad, device)


def randperm(
    n: int, *, generator: Generator | None = None, dtype: D.dtype | None = None, device: Any = None,
    requires_grad: bool = False,
) -> Tensor:  # fmt: skip
    """torch's CPU randperm: a Fisher-Yates pass swapping i with i + (word % (n - i)) for i < n - 1."""
    n = int(n)
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    device = _checked(device)
    perm = list(range(n))
    if n > 1:
        offsets = (_gen(generator, device)._mt.random32(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
        for i, z in enumerate(offsets):
            j = i + z
            perm[i], perm[j] = perm[j], perm[i]
    return _finish(np.array(perm, dtype=np.int64), dtype or D.int64, requires_grad, device)


def randn_like(input: Tensor, *, dtype: D.dtype | None = None, requires_grad: bool = False, **_: Any) -> Tensor:
    return randn(input.shape, dtype=dtype or input.dtype, device=input.device, requires_grad=requires_grad)


def rand_like(input: Tensor, *, dtype: D.dtype | None = None, requires_grad: bool = False, **_: Any) -> Tensor:
    return rand(input.shape, dtype=dtype or input.dtype, device=input.device, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: int | None = None, *, dtype: D.dtype | None = None, **_: Any) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=input.device)


class BernoulliBackward0(Node):
    # bernoulli: self: zeros_like(grad)
    def apply(self, grad: Tensor) -> tuple:
        return (Tensor._make(grad._xp.zeros_like(grad._data)),)


class _NormalZeros(Node):
    # the normal overloads' grads are zeros of each tensor argument's size:
    # mean: at::zeros_symint(mean.sym_sizes(), grad.options()) ; std: at::zeros_symint(std.sym_sizes(), ...)
    def apply(self, grad: Tensor) -> tuple:
        return tuple(
            Tensor._make(grad._xp.zeros(shape, dtype=grad._data.dtype)) if needs(self, i) else None
            for i, shape in enumerate(self.shapes)
        )


class NormalBackward1(_NormalZeros):
    """normal.Tensor_float: mean: at::zeros_symint(mean.sym_sizes(), grad.options())"""


class NormalBackward2(_NormalZeros):
    """normal.float_Tensor: std: at::zeros_symint(std.sym_sizes(), grad.options())"""


class NormalBackward3(_NormalZeros):
    """normal.Tensor_Tensor: mean and std: at::zeros_symint(<their sizes>, grad.options())"""


def _into(result: Tensor, out: Tensor | None) -> Tensor:
    """An out= of the samplers: ``out`` takes the result's shape and values."""
    if out is None:
        return result
    out._data = result._data.astype(out._data.dtype, copy=False)
    out._vc[0] += 1
    return out


def normal(
    mean: Any, std: Any = 1.0, size: Any = None, *, generator: Generator | None = None,
    dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False, out: Tensor | None = None,
    layout: Any = None, pin_memory: bool = False,
) -> Tensor:  # fmt: skip
    """torch.normal: with float mean/std a fresh normal_; with tensors, normal_(0, 1) then ``* std + mean``."""
    if out is not None:
        return _into(normal(mean, std, size, generator=generator, dtype=dtype or out.dtype, device=device), out)
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        dt, shape = _float_dtype(dtype), _size_args((size,))
        # torch.normal takes no default device (torch leaves it out of set_default_device's factories)
        _xp_for(device)
        arr = _normal_values(_gen(generator, device), math.prod(shape), dt.np, float(mean), float(std))
        return _finish(arr.reshape(shape), dt, requires_grad, device)
    ref = mean if isinstance(mean, Tensor) else std
    g = _gen(generator, ref)
    shape = np.broadcast_shapes(*(t._data.shape for t in (mean, std) if isinstance(t, Tensor)))
    if isinstance(std, Tensor) and bool((std._data < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    np_dt = ref._data.dtype
    z = _normal_values(g, math.prod(shape), np_dt, 0.0, 1.0).reshape(shape).astype(np_dt)
    z = _place(z, ref.device) if ref.is_cuda else z
    m = mean._data if isinstance(mean, Tensor) else np_dt.type(mean)
    s = std._data if isinstance(std, Tensor) else np_dt.type(std)
    result = Tensor._make(np.asarray(z * s + m, dtype=np_dt, order="C"))
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if grad_recording(*tensors):
        node = (NormalBackward3 if len(tensors) == 2 else NormalBackward1 if tensors[0] is mean else NormalBackward2)()
        node.shapes = tuple(t._data.shape for t in tensors)
        record(node, result, *tensors)
    return result


def bernoulli(
    input: Tensor, p: float | None = None, *, generator: Generator | None = None, out: Tensor | None = None
) -> Tensor:
    """torch.bernoulli: per-element ``u < p`` (u with the precision of p's dtype), or bernoulli_(p) for a float p."""
    if out is not None:  # torch's bernoulli_out: out resized like input, then out.bernoulli_(input)
        if out._data.shape != input._data.shape:
            out._data = array_module(out._data).zeros(input._data.shape, dtype=out._data.dtype)
        return bernoulli_(out, input if p is None else p, generator=generator)
    res = Tensor._make(array_module(input._data).zeros(input._data.shape, dtype=input._data.dtype))
    if p is not None:
        return bernoulli_(res, p, generator=generator)
    bernoulli_(res, input, generator=generator)
    if grad_recording(input):
        record(BernoulliBackward0(), res, input)
    return res


def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, *, generator: Generator | None = None,
    out: Tensor | None = None,
) -> Tensor:  # fmt: skip
    probs = to_numpy(input._data)
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if probs.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {scalar_type_name(input.dtype)}"
        )
    if out is not None:
        if out.dtype is not D.int64:
            raise RuntimeError(f"multinomial expects Long tensor out, got: {scalar_type_name(out.dtype)}")
        return _into(multinomial(input, num_samples, replacement, generator=generator), out)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > probs.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if probs.shape[-1] > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    if (not replacement or num_samples == 1) and probs.size and not (probs.max() < np.inf and probs.min() >= 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = probs.reshape(-1, probs.shape[-1])
    g = _gen(generator, input)
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not replacement or num_samples == 1:
        result = _multinomial_exponential(g, rows, num_samples)
    else:
        result = np.stack([_multinomial_row(g, r, num_samples) for r in rows])
    result = result.reshape(*probs.shape[:-1], num_samples)
    return Tensor._make(_place(result, input.device) if input.is_cuda else result)


def _multinomial_exponential(g: Generator, rows: np.ndarray, k: int) -> np.ndarray:
    """Without replacement (or one sample): the top-k of p / q with q ~ Exp(1) drawn by exponential_."""
    q = _exponential_values(g, rows.size, 1.0).astype(rows.dtype).reshape(rows.shape)
    keys = rows / q
    if k == 1:
        return np.argmax(keys, axis=1, keepdims=True).astype(np.int64)
    return np.argsort(-keys, axis=1, kind="stable")[:, :k].astype(np.int64)


def _multinomial_row(g: Generator, row: np.ndarray, k: int) -> np.ndarray:
    """With replacement: normalised running sum in the row's dtype, then a left binary search per 53-bit uniform."""
    if (row < 0).any():
        raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
    cum = np.cumsum(row, dtype=row.dtype)
    total = cum[-1]
    if not total > 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    cum = cum / total
    cum[-1] = 1
    u = _uniform_words(g, k, np.dtype(np.float64))
    return np.searchsorted(cum.astype(np.float64), u, side="left").astype(np.int64)


# --------------------------------------------------------------------------- in-place samplers
def _fill(t: Tensor, arr: np.ndarray) -> Tensor:
    """Write samples into ``t`` in place (same storage, version bump), with torch's leaf check."""
    check_inplace(t)
    data = t._data
    # torch's TensorIterator visits elements in memory order (axes sorted by stride), so samples land that way
    order = sorted(range(data.ndim), key=lambda ax: -abs(data.strides[ax]))
    view = data.transpose(order)
    host = np.asarray(arr).reshape(view.shape).astype(data.dtype, copy=False)
    view[...] = array_module(data).asarray(host)  # samples are drawn on the host, then copied to a GPU tensor
    t._vc[0] += 1
    return t


def _is_contiguous(t: Tensor) -> bool:
    return bool(t._data.flags.c_contiguous)


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    n, dt = self._data.size, self._data.dtype
    if dt.kind == "c":
        # torch fills view_as_real(self): 2n reals, std / sqrt(2) each part
        real = np.dtype(np.float32 if dt == np.complex64 else np.float64)
        pairs = _normal_values(_gen(generator, self), 2 * n, real, float(mean), float(std) / math.sqrt(2.0),
                               _is_contiguous(self))  # fmt: skip
        return _fill(self, pairs.view(dt))
    arr = _normal_values(_gen(generator, self), n, dt, float(mean), float(std), _is_contiguous(self))
    return _fill(self, arr)


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
    return _fill(self, _uniform_draw(_gen(generator, self), self._data.size, self._data.dtype, float(from_), float(to)))


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
    g = _gen(generator, self)
    if isinstance(p, Tensor):
        probs = np.broadcast_to(to_numpy(p._data), self._data.shape).ravel()
        double = probs.dtype == np.float64
        u = _uniform_words(g, probs.size, np.dtype(np.float64 if double else np.float32))
        return _fill(self, u < (probs if double else probs.astype(np.float32)))
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _fill(self, _bernoulli_mask(self._data.shape, float(p), g))


def random_(self: Tensor, from_: int = 0, to: int | None = None, *, generator: Generator | None = None) -> Tensor:
    g, n = _gen(generator, self), self._data.size
    if to is None and from_ == 0:
        return _fill(self, _default_int_draw(g, n, self._data.dtype))
    if to is None:  # random_(to)
        from_, to = 0, from_
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
    return _fill(self, _int_range_draw(g, n, int(from_), int(to)))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _fill(self, _exponential_values(_gen(generator, self), self._data.size, float(lambd)))


def _c_double(v: float) -> str:
    return format(v, "g")  # how torch's messages print a double (C++ stream, 6 significant digits)


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """cauchy_distribution<double>: median + sigma * tan(pi * (u - 0.5)) on 53-bit uniforms, one per element."""
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_c_double(sigma)}")
    u = _uniform_words(_gen(generator, self), self._data.size, np.dtype(np.float64))
    return _fill(self, float(median) + float(sigma) * RM.libm("tan", math.pi * (u - 0.5)))


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """geometric_distribution<double>: ceil(log(u) / log1p(-p)) on 53-bit uniforms, one per element."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_c_double(p)}")
    u = _uniform_words(_gen(generator, self), self._data.size, np.dtype(np.float64))
    with np.errstate(divide="ignore"):
        return _fill(self, np.ceil(RM.libm("log", u) / math.log1p(-p)))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Generator | None = None) -> Tensor:
    """lognormal_distribution<double>: exp of normal_distribution<double>'s scalar Box-Muller, one per element."""
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_c_double(std)}")
    z = _scalar_normals(_gen(generator, self), self._data.size, float(mean), float(std))
    with np.errstate(over="ignore"):
        return _fill(self, RM.libm("exp", z))


class _CompatRng:
    """Stand-in for the old ``_rng(None).random(shape)``: 53-bit uniforms drawn from the torch-compatible stream."""

    def __init__(self, g: Generator) -> None:
        self._g = g

    def random(self, shape: Any) -> np.ndarray:
        shape = tuple(shape) if isinstance(shape, tuple | list) else (int(shape),)
        return _uniform_words(self._g, math.prod(shape), np.dtype(np.float64)).reshape(shape)


def _rng(generator: Generator | None) -> _CompatRng:
    return _CompatRng(_gen(generator))


# Tensor.normal_ / uniform_ / bernoulli_ / random_ / exponential_ are attached by _tensor_surface (TENSOR_METHODS)
TENSOR_METHODS = {
    "normal_": normal_, "uniform_": uniform_, "bernoulli_": bernoulli_, "random_": random_,
    "exponential_": exponential_,
    "cauchy_": cauchy_, "geometric_": geometric_, "log_normal_": log_normal_, "bernoulli": bernoulli,
    "multinomial": multinomial,
}  # fmt: skip

__all__ = [
    "Generator", "bernoulli", "cuda_generator", "default_generator", "get_rng_state", "initial_seed", "manual_seed", "multinomial",
    "normal", "rand", "rand_like", "randint", "randint_like", "randn", "randn_like", "randperm", "seed",
    "set_rng_state",
]  # fmt: skip
