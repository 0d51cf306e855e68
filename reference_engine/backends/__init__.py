"""torch.backends: build and library flags, answered as torch 2.13 answers on the engine's devices.

One module per backend, as in torch: ``cuda`` (``is_built``, ``matmul``'s cuBLAS flags), ``cudnn``,
``mkl``, ``mkldnn``, ``mps``, ``openmp``, ``opt_einsum``. Where a library is about torch's CPU build
(MKL, oneDNN, OpenMP) the answer is that build's; where it is about devices (CUDA, cuDNN, MPS) it is the
engine's own. Settable flags take torch's values and raise torch's errors, and change nothing the engine
computes (it never uses TF32, cuDNN or reduced-precision reductions).
"""

from __future__ import annotations

from . import cuda, cudnn, mkl, mkldnn, mps, openmp, opt_einsum

__all__ = ["cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "opt_einsum"]
