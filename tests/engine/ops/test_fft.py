"""torch.fft, stft and istft side by side with torch: values, dtypes, the whole autograd graph (node names),
gradients and second derivatives against fixed cotangents, and the errors and warnings torch gives, on
arguments the OpInfo catalogue's samples leave out (norm modes with n / s that both cut and pad, integer
inputs, complex inputs to the real transforms, out=, windows shorter than n_fft, istft's length)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
from conformance.compare import Tolerance
from tests.helpers import as_numpy, assert_close, assert_same_error_full, graph_tree

RNG = np.random.default_rng(20261207)
REAL = RNG.standard_normal((4, 6, 7))
IMAG = RNG.standard_normal((4, 6, 7))
SIGNAL = RNG.standard_normal((2, 64))
WINDOW = RNG.uniform(0.5, 2.0, 16)
# float32 transforms: torch's MKL kernels and the engine's double-precision pocketfft rounded once agree to a
# few float32 ulps of the largest element (the catalogue's own fft tolerance for float32 is 1e-4 relative)
TOL32 = Tolerance(rtol=2e-5, atol=2e-5)
TOL64 = Tolerance(rtol=1e-10, atol=1e-10)


def _input(m: Any, kind: str, dtype: str) -> Any:
    if kind == "complex":
        cdt = m.complex64 if dtype == "float32" else m.complex128
        return m.tensor(REAL + 1j * IMAG).to(cdt).requires_grad_()
    return m.tensor(REAL, dtype=getattr(m, dtype), requires_grad=True)


def cotangent(shape: tuple[int, ...], is_complex: bool) -> np.ndarray:
    """A fixed draw per shape (the same on both sides)."""
    rng = np.random.default_rng(sum((i + 1) * 7919 * s for i, s in enumerate(shape)) + len(shape))
    a = rng.standard_normal(shape)
    return a + 1j * rng.standard_normal(shape) if is_complex else a


def _grads(m: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """The gradient against a fixed cotangent, and the gradient of that gradient with respect to the
    cotangent (what double backward differentiates: the backward formula itself)."""
    cot = m.tensor(cotangent(tuple(y.shape), y.is_complex())).to(y.dtype).requires_grad_()
    (g,) = m.autograd.grad(y, x, cot, create_graph=True)
    v = m.tensor(cotangent(tuple(g.shape), g.is_complex())).to(g.dtype)
    (gg,) = m.autograd.grad(g, cot, v)
    return g, gg


def _compare(fn: Callable[[Any, Any], Any], kind: str, dtype: str) -> None:
    """Forward value, dtype and graph; the gradient; the second derivative (see ``_grads``)."""
    tol = TOL32 if dtype == "float32" else TOL64
    results = {}
    for m in (torch, engine):
        x = _input(m, kind, dtype)
        y = fn(m, x)
        g, gg = _grads(m, x, y)
        results[m] = (y, g, gg, (graph_tree(y), graph_tree(g)))
    (ye, ge, gge, tree_e), (yt, gt, ggt, tree_t) = results[engine], results[torch]
    assert str(ye.dtype) == str(yt.dtype) and tuple(ye.shape) == tuple(yt.shape)
    assert tree_e == tree_t  # the forward graph, and the graph its backward formula records under create_graph
    assert_close(ye, yt, "forward", tol)
    assert_close(ge, gt, "backward", tol)
    assert_close(gge, ggt, "double backward", tol)


ONE_D = {
    "n_cut_ortho": dict(n=4, dim=1, norm="ortho"),
    "n_pad_forward": dict(n=11, dim=0, norm="forward"),
    "default": dict(),
    "dim_first_backward": dict(dim=-3, norm="backward"),
}
N_D = {
    "s_cut_and_pad": dict(s=(3, 9), dim=(0, 2), norm="ortho"),
    "s_minus_one": dict(s=(-1, 5)),
    "all_dims_forward": dict(norm="forward"),
    "dims_unsorted": dict(dim=(2, 0)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["real", "complex"])
@pytest.mark.parametrize("case", list(ONE_D))
@pytest.mark.parametrize("name", ["fft", "ifft", "irfft", "hfft"])
def test_one_dimensional_transforms_of_real_and_complex_inputs(name: str, case: str, kind: str, dtype: str) -> None:
    _compare(lambda m, x: getattr(m.fft, name)(x, **ONE_D[case]), kind, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(ONE_D))
@pytest.mark.parametrize("name", ["rfft", "ihfft"])
def test_real_to_complex_transforms(name: str, case: str, dtype: str) -> None:
    _compare(lambda m, x: getattr(m.fft, name)(x, **ONE_D[case]), "real", dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["real", "complex"])
@pytest.mark.parametrize("case", list(N_D))
@pytest.mark.parametrize("name", ["fftn", "ifftn", "irfftn", "hfftn"])
def test_n_dimensional_transforms(name: str, case: str, kind: str, dtype: str) -> None:
    _compare(lambda m, x: getattr(m.fft, name)(x, **N_D[case]), kind, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(N_D))
@pytest.mark.parametrize("name", ["rfftn", "ihfftn"])
def test_n_dimensional_real_to_complex_transforms(name: str, case: str, dtype: str) -> None:
    _compare(lambda m, x: getattr(m.fft, name)(x, **N_D[case]), "real", dtype)


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2"])
def test_two_dimensional_transforms_default_to_the_last_two_dims(name: str) -> None:
    _compare(lambda m, x: getattr(m.fft, name)(x, s=(5, 6), norm="ortho"), "real", "float64")
    _compare(lambda m, x: getattr(m.fft, name)(x, dim=(0, 1)), "real", "float32")


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fftn", "rfft2", "hfftn"])
def test_integer_and_bool_inputs_promote_to_the_default_dtype(name: str) -> None:
    for make in (lambda m: m.arange(12).reshape(3, 4), lambda m: m.arange(12).reshape(3, 4) % 3 == 0):
        got, want = getattr(engine.fft, name)(make(engine)), getattr(torch.fft, name)(make(torch))
        assert str(got.dtype) == str(want.dtype)
        assert_close(got, want, name, TOL32)


ERRORS: dict[str, Callable[[Any], Any]] = {
    "zero_dim": lambda m: m.fft.fft(m.tensor(1.0)),
    "zero_dim_dims": lambda m: m.fft.fftn(m.tensor(1.0), dim=(0,)),
    "rfftn_no_axis": lambda m: m.fft.rfftn(m.tensor(1.0)),
    "irfftn_no_axis": lambda m: m.fft.irfftn(m.ones(3), dim=()),
    "hfftn_no_axis": lambda m: m.fft.hfftn(m.tensor(1.0)),
    "ihfftn_no_axis": lambda m: m.fft.ihfftn(m.ones(3), dim=()),
    "n_zero": lambda m: m.fft.fft(m.ones(3), n=0),
    "irfft_of_one_point": lambda m: m.fft.irfft(m.ones(3, 1)),
    "dim_out_of_range": lambda m: m.fft.fft(m.ones(3, 4), dim=5),
    "bad_norm": lambda m: m.fft.fft(m.ones(3), norm="bad"),
    "repeated_dims": lambda m: m.fft.fftn(m.ones(3, 4), dim=(0, 0)),
    "s_and_dim_lengths": lambda m: m.fft.fftn(m.ones(3, 4), s=(2,), dim=(0, 1)),
    "s_too_long": lambda m: m.fft.fftn(m.ones(3, 4), s=(2, 2, 2)),
    "s_negative": lambda m: m.fft.fftn(m.ones(3, 4), s=(-2, 2)),
    "irfftn_s_zero": lambda m: m.fft.irfftn(m.ones(3, 4), s=(3, 0)),
    "half": lambda m: m.fft.fft(m.ones(4, dtype=m.float16)),
    "rfft_of_complex": lambda m: m.fft.rfft(m.ones(4, dtype=m.complex64)),
    "ihfft_of_complex": lambda m: m.fft.ihfft(m.ones(4, dtype=m.complex64)),
    "rfft2_of_complex": lambda m: m.fft.rfft2(m.ones(4, 4, dtype=m.complex64)),
    "ihfft2_of_complex": lambda m: m.fft.ihfft2(m.ones(4, 4, dtype=m.complex64)),
    "fft2_of_a_vector": lambda m: m.fft.fft2(m.ones(5)),
    "not_a_tensor": lambda m: m.fft.fft([1.0, 2.0]),
    "real_out": lambda m: m.fft.fft(m.ones(4), out=m.empty(0)),
    "complex_out_of_irfft": lambda m: m.fft.irfft(m.ones(4), out=m.empty(0, dtype=m.complex64)),
    "out_with_grad": lambda m: m.fft.rfftn(m.ones(4, requires_grad=True), out=m.empty(0, dtype=m.complex64)),
    "out_with_grad_checks_input_first": lambda m: m.fft.rfft(
        m.ones(4, dtype=m.complex64, requires_grad=True), out=m.empty(0, dtype=m.complex64)
    ),
    "ihfftn_one_dim_out_dtype": lambda m: m.fft.ihfftn(m.ones(4, 6), dim=(0,), out=m.empty(0, dtype=m.complex128)),
    "empty_batch_mkl": lambda m: m.fft.rfft(m.zeros(0, 4)),
    "empty_batch_mkl_c2r": lambda m: m.fft.irfftn(m.zeros(2, 0, 4), dim=(-1,)),
    "n_of_wrong_type_positional": lambda m: m.fft.fft(m.ones(3), 2.0),
    "n_bool": lambda m: m.fft.ifft(m.ones(3), n=True),
    "dim_tuple_for_1d": lambda m: m.fft.hfft(m.ones(3), dim=(0,)),
    "norm_not_a_string": lambda m: m.fft.rfft(m.ones(3), norm=3),
    "s_of_floats": lambda m: m.fft.fftn(m.ones(3, 4), s=(1.5, 2)),
    "dim_none_for_2d": lambda m: m.fft.irfft2(m.ones(3, 4), dim=None),
    "shift_dim_float": lambda m: m.fft.fftshift(m.ones(3), dim=0.5),
    "fftfreq_integer_dtype": lambda m: m.fft.fftfreq(5, dtype=m.int64),
    "fftfreq_negative": lambda m: m.fft.fftfreq(-1),
    "fftfreq_float_count": lambda m: m.fft.fftfreq(5.0),
    "fftfreq_out_dtype": lambda m: m.fft.fftfreq(5, dtype=m.float64, out=m.empty(0)),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors(case: str) -> None:
    assert_same_error_full(ERRORS[case])


def test_out_writes_the_result_and_returns_out() -> None:
    for m in (torch, engine):
        out = m.empty(0, dtype=m.complex128)
        got = m.fft.fft(m.tensor(REAL[0], dtype=m.float32), out=out)
        assert got is out
    want = torch.fft.fft(torch.tensor(REAL[0], dtype=torch.float32)).to(torch.complex128)
    out = engine.empty(0, dtype=engine.complex128)
    engine.fft.fft(engine.tensor(REAL[0], dtype=engine.float32), out=out)
    assert_close(out, want, "out", TOL32)


def test_ihfftn_over_one_dim_leaves_out_unwritten_as_torch_does() -> None:
    # torch 2.13 swaps conj_physical_out's arguments on this path: out keeps its contents and is returned
    for m in (torch, engine):
        out = m.full((5, 4), 2 + 1j)
        got = m.fft.ihfftn(m.arange(30.0).reshape(5, 6), dim=(1,), out=out)
        assert got is out
        assert as_numpy(out).tolist() == [[2 + 1j] * 4] * 5


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n, d", [(5, 1.0), (6, 0.3), (7, 0.1), (1, 2.0), (0, 1.0)])
def test_fftfreq_and_rfftfreq_bit_for_bit(n: int, d: float, dtype: str) -> None:
    for name in ("fftfreq", "rfftfreq"):
        got = getattr(engine.fft, name)(n, d, dtype=getattr(engine, dtype))
        want = getattr(torch.fft, name)(n, d, dtype=getattr(torch, dtype))
        assert str(got.dtype) == str(want.dtype)
        assert as_numpy(got).tobytes() == as_numpy(want).tobytes()
    assert str(engine.fft.fftfreq(4).dtype) == str(torch.fft.fftfreq(4).dtype)
    assert engine.fft.rfftfreq(4, requires_grad=True).requires_grad


def test_fftfreq_out_is_written_and_resized_with_aranges_warning() -> None:
    seen = {}
    for m in (torch, engine):
        out = m.empty(3, dtype=m.float64)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = m.fft.rfftfreq(7, 0.5, out=out)
        assert got is out
        seen[m] = (as_numpy(out).tobytes(), [str(w.message).split(" (Triggered")[0] for w in caught])
    assert seen[engine] == seen[torch]


@pytest.mark.parametrize("dim", [None, 0, (1,), (0, 2), -1, (0, 0)])
@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
def test_shifts(name: str, dim: Any) -> None:
    for m in (torch, engine):
        x = m.arange(210.0).reshape(5, 6, 7).requires_grad_()
        y = getattr(m.fft, name)(x, dim=dim)
        if m is torch:
            want, tree = y, graph_tree(y)
        else:
            assert graph_tree(y) == tree
            assert as_numpy(y).tolist() == as_numpy(want).tolist()


# -- stft / istft ----------------------------------------------------------------------------------------------
STFT = {
    "center_reflect_window": dict(n_fft=16, hop_length=4, window="w16", return_complex=True),
    "constant_pad_normalized": dict(n_fft=16, pad_mode="constant", normalized=True, return_complex=True),
    "short_window_not_centred": dict(n_fft=16, win_length=10, window="w10", center=False, return_complex=True),
    "two_sided": dict(n_fft=12, hop_length=5, onesided=False, return_complex=True),
    "real_output": dict(n_fft=10, center=False, return_complex=False),
    "aligned_to_window": dict(
        n_fft=12, win_length=6, window="w6", hop_length=2, center=False, align_to_window=True, return_complex=True
    ),
    "aligned_full_window": dict(n_fft=8, hop_length=3, center=False, align_to_window=True, return_complex=True),
}


def _stft_args(m: Any, case: str, dtype: str) -> dict[str, Any]:
    kw = dict(STFT[case])
    if kw.get("window") == "w16":
        kw["window"] = m.tensor(WINDOW, dtype=getattr(m, dtype))
    elif kw.get("window") == "w10":
        kw["window"] = m.tensor(WINDOW[:10], dtype=getattr(m, dtype))
    elif kw.get("window") == "w6":
        kw["window"] = m.tensor(WINDOW[:6], dtype=getattr(m, dtype))
    return kw


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batched", [False, True], ids=["signal", "batch"])
@pytest.mark.parametrize("case", list(STFT))
def test_stft(case: str, batched: bool, dtype: str) -> None:
    tol = TOL32 if dtype == "float32" else TOL64
    seen = {}
    for m in (torch, engine):
        x = m.tensor(SIGNAL if batched else SIGNAL[0], dtype=getattr(m, dtype), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = m.stft(x, **_stft_args(m, case, dtype)) if m is torch else x.stft(**_stft_args(m, case, dtype))
        seen[m] = (y, *_grads(m, x, y), graph_tree(y))
    (ye, ge, gge, te), (yt, gt, ggt, tt) = seen[engine], seen[torch]
    assert te == tt
    assert str(ye.dtype) == str(yt.dtype) and tuple(ye.shape) == tuple(yt.shape)
    assert_close(ye, yt, "stft", tol)
    assert_close(ge, gt, "stft backward", tol)
    assert_close(gge, ggt, "stft double backward", tol)


ISTFT = {
    "centred": dict(n_fft=16, hop_length=4, window="w16"),
    "not_centred_with_length": dict(n_fft=16, hop_length=4, window="w16", center=False, length=60),
    "padded_length": dict(n_fft=16, hop_length=4, window="w16", length=80),
    "short_window": dict(n_fft=16, hop_length=4, win_length=10, window="w10", normalized=True),
    "two_sided_complex_result": dict(n_fft=16, hop_length=4, window="w16", onesided=False, return_complex=True),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(ISTFT))
def test_istft(case: str, dtype: str) -> None:
    tol = TOL32 if dtype == "float32" else TOL64
    seen = {}
    for m in (torch, engine):
        kw = dict(ISTFT[case])
        kw["window"] = m.tensor(WINDOW if kw["window"] == "w16" else WINDOW[:10], dtype=getattr(m, dtype))
        two_sided = kw.get("onesided") is False
        signal = m.tensor(SIGNAL, dtype=getattr(m, dtype))
        spec = m.stft(signal, 16, hop_length=4, win_length=kw.get("win_length"), window=kw["window"],
                      onesided=not two_sided, return_complex=True)  # fmt: skip
        spec = spec.detach().requires_grad_()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = m.istft(spec, **kw)
        cot = m.tensor(cotangent(tuple(y.shape), y.is_complex())).to(y.dtype)
        (g,) = m.autograd.grad(y, spec, cot)
        seen[m] = (y, g, graph_tree(y), [str(w.message).split(" (Triggered")[0] for w in caught])
    (ye, ge, te, we), (yt, gt, tt, wt) = seen[engine], seen[torch]
    assert te == tt
    assert we == wt or not wt  # torch warns once per process: the engine, too
    assert str(ye.dtype) == str(yt.dtype) and tuple(ye.shape) == tuple(yt.shape)
    assert_close(ye, yt, "istft", tol)
    assert_close(ge, gt, "istft backward", tol)


def _spec(m: Any) -> Any:
    return m.stft(m.tensor(SIGNAL[0]), 10, window=m.ones(10, dtype=m.float64), return_complex=True)


STFT_ERRORS: dict[str, Callable[[Any], Any]] = {
    "return_complex_required": lambda m: m.stft(m.ones(100), 10),
    "n_fft_too_long": lambda m: m.stft(m.ones(100), 200, return_complex=True, center=False),
    "window_size": lambda m: m.stft(m.ones(100), 10, window=m.ones(5), return_complex=True),
    "hop_zero": lambda m: m.stft(m.ones(100), 10, hop_length=0, return_complex=True),
    "win_length_too_long": lambda m: m.stft(m.ones(100), 10, win_length=11, return_complex=True),
    "three_dims": lambda m: m.stft(m.ones(2, 2, 100), 10, return_complex=True),
    "integers": lambda m: m.stft(m.arange(100), 10, return_complex=True, center=False),
    "bool_reflect_padded": lambda m: m.stft(m.ones(100, dtype=m.bool), 10, return_complex=True),
    "onesided_complex": lambda m: m.stft(m.ones(100, dtype=m.complex64), 10, onesided=True, return_complex=True),
    "align_with_center": lambda m: m.stft(m.ones(100), 10, return_complex=True, align_to_window=True),
    "aligned_last_frame_past_the_padding": lambda m: m.stft(
        m.ones(2, 64), 11, hop_length=2, win_length=6, center=False, return_complex=True, align_to_window=True
    ),
    "aligned_window_too_long": lambda m: m.stft(
        m.ones(5), 10, win_length=6, center=False, return_complex=True, align_to_window=True
    ),
    "complex_three_dims": lambda m: m.stft(m.ones(2, 2, 100, dtype=m.complex64), 10, return_complex=True),
    "istft_complex_window_named_by_type": lambda m: m.istft(
        m.ones(10, 5, dtype=m.complex128), 10, window=m.ones(7, dtype=m.complex128), return_complex=True
    ),
    "istft_of_real": lambda m: m.istft(m.ones(6, 5), 10),
    "istft_frequency_count": lambda m: m.istft(_spec(m), 12),
    "istft_two_sided_count": lambda m: m.istft(_spec(m), 10, onesided=False),
    "istft_hop": lambda m: m.istft(_spec(m), 10, hop_length=11),
    "istft_win_length": lambda m: m.istft(_spec(m), 10, win_length=12),
    "istft_window_shape": lambda m: m.istft(_spec(m), 10, window=m.ones(7)),
    "istft_zero_window": lambda m: m.istft(_spec(m), 10, window=m.zeros(10)),
    "istft_four_dims": lambda m: m.istft(m.ones(2, 3, 10, 5, dtype=m.complex64), 10),
    "istft_vector": lambda m: m.istft(m.ones(10, dtype=m.complex64), 10),
    "istft_empty": lambda m: m.istft(m.ones(0, 5, dtype=m.complex64), 10),
    "istft_onesided_complex": lambda m: m.istft(_spec(m), 10, return_complex=True),
    "istft_complex_window": lambda m: m.istft(_spec(m), 10, window=m.ones(10, dtype=m.complex64)),
}


@pytest.mark.parametrize("case", list(STFT_ERRORS))
def test_stft_and_istft_errors(case: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error_full(STFT_ERRORS[case])


def test_fft_of_a_real_input_backward_matches_finite_differences() -> None:
    # math, not torch: d/dx sum(Re(c * rfft(x, n=9, norm="ortho"))) by central differences
    x0 = REAL[0, 0].copy()
    c = cotangent((5,), True)

    def f(arr: np.ndarray) -> float:
        return float(np.real(np.sum(c * np.fft.rfft(arr, n=9, norm="ortho"))))

    eps = 1e-6
    fd = np.array([(f(x0 + eps * e) - f(x0 - eps * e)) / (2 * eps) for e in np.eye(x0.size)])
    x = engine.tensor(x0, requires_grad=True)
    y = engine.fft.rfft(x, n=9, norm="ortho")
    # torch's convention for a real input: the grad is Re(J^H conj-cotangent) with cotangent conj(c)
    (g,) = engine.autograd.grad(y, x, engine.tensor(np.conj(c)))
    np.testing.assert_allclose(as_numpy(g), fd, rtol=1e-6, atol=1e-8)
