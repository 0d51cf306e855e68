"""conj, conj_physical (and its in-place form), view_as_real and view_as_complex side by side with torch:
values, dtypes, nodes, gradients of complex and real inputs, and torch's errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import reference_engine as engine
from tests.helpers import as_numpy, assert_same_error_full, graph_tree

Z = np.array([[1.5 - 2.0j, -0.25 + 3.0j], [0.0 + 1.0j, 2.0 - 0.5j]])


@pytest.mark.parametrize("name", ["conj", "conj_physical"])
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_conjugation_and_its_gradient(name: str, dtype: str) -> None:
    seen = {}
    for m in (torch, engine):
        z = m.tensor(Z).to(getattr(m, dtype)).requires_grad_()
        y = getattr(m, name)(z)
        (g,) = m.autograd.grad(y, z, m.tensor(Z[::-1].copy()).to(y.dtype))
        seen[m] = (y, g, graph_tree(y))
    (ye, ge, te), (yt, gt, tt) = seen[engine], seen[torch]
    assert te == tt and str(ye.dtype) == str(yt.dtype)
    assert as_numpy(ye).tolist() == as_numpy(yt).tolist()
    assert as_numpy(ge).tolist() == as_numpy(gt).tolist()


@pytest.mark.parametrize("name", ["conj", "conj_physical", "resolve_conj"])
def test_conjugating_a_real_tensor_gives_the_tensor_itself(name: str) -> None:
    for m in (torch, engine):
        x = m.ones(3, requires_grad=True)
        assert getattr(m, name)(x) is x


def test_conj_sets_the_conjugate_bit_and_resolve_conj_clears_it() -> None:
    seen = {}
    for m in (torch, engine):
        z = m.tensor(Z, requires_grad=True)
        y = z.conj()
        r = m.resolve_conj(y)
        seen[m] = (y.is_conj(), y.conj().is_conj(), r.is_conj(), m.ones(2).conj().is_conj(), graph_tree(r))
        assert m.is_conj(y)
        assert as_numpy(r).tolist() == np.conj(Z).tolist()
    assert seen[engine] == seen[torch]


def test_conj_physical_in_place() -> None:
    for m in (torch, engine):
        z, x = m.tensor(Z), m.ones(2)
        vz, vx = z._version, x._version
        assert z.conj_physical_() is z and x.conj_physical_() is x
        assert (z._version - vz, x._version - vx) == (1, 1)
        assert as_numpy(z).tolist() == np.conj(Z).tolist()


def test_view_as_real_and_back_with_gradients() -> None:
    seen = {}
    for m in (torch, engine):
        z = m.tensor(Z, requires_grad=True)
        r = m.view_as_real(z)
        back = m.view_as_complex(r * 2)
        (g,) = m.autograd.grad(back, z, m.tensor(Z))
        seen[m] = (r, back, g, graph_tree(back))
    (re_, be, ge, te), (rt, bt, gt, tt) = seen[engine], seen[torch]
    assert te == tt
    for a, b in ((re_, rt), (be, bt), (ge, gt)):
        assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
        assert as_numpy(a).tolist() == as_numpy(b).tolist()


ERRORS: dict[str, Any] = {
    "view_as_real_of_real": lambda m: m.view_as_real(m.ones(3)),
    "view_as_complex_last_dim": lambda m: m.view_as_complex(m.ones(3)),
    "view_as_complex_stride": lambda m: m.view_as_complex(m.ones(2, 3).t()[:, :2].t().contiguous().t()),
    "view_as_complex_integer": lambda m: m.view_as_complex(m.ones(3, 2, dtype=m.int64)),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors(case: str) -> None:
    assert_same_error_full(ERRORS[case])
