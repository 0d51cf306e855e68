"""``get_worker_info`` and the in-process stand-in for a DataLoader worker process.

torch runs each worker in its own process, seeded from the loader's base seed:
``torch.manual_seed(base_seed + id)``, ``random.seed(base_seed + id)`` and NumPy's
legacy global generator seeded with four words hashed from (id, base_seed).
The engine runs the worker's code in the main process instead, with those three
generators swapped for the worker's own while it runs, so the dataset's draws and
the main process's generators both come out as they do with torch's processes.
"""

from __future__ import annotations

import copy
import random as _pyrandom
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from .... import random as R
from ....tensor import Tensor

_worker_info: WorkerInfo | None = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker (torch's fields and repr)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any
    rng: Any = None
    # the engine emulates process workers, so it reports what torch's process workers report
    worker_method: str | None = "multiprocessing"


def get_worker_info() -> WorkerInfo | None:
    """The current worker's WorkerInfo while a worker's code runs; None in the main process."""
    return _worker_info


def _numpy_seed_words(base_seed: int, worker_id: int) -> list[int]:
    """The four uint32 words torch's workers seed NumPy with.

    torch hashes (worker_id, low and high 32 bits of base_seed, 0) with the
    algorithm of NumPy's SeedSequence (pool of 4 words); NumPy's own
    SeedSequence gives the same words (checked against torch's worker code).
    """
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    return np.random.SeedSequence(entropy).generate_state(4).tolist()


def worker_copy(dataset: Any) -> Any:
    """The dataset as a worker process holds it: its own Python objects, with the tensor and array data shared.

    torch's workers get a copy of the dataset (a fork, or a pickle round trip), so a
    ``worker_init_fn`` that sets ``get_worker_info().dataset.start`` changes only that
    worker's copy. A deep copy gives the same separation; the tensors and arrays are
    shared rather than copied because copying the data every epoch would cost memory
    for nothing (workers read their data, they rarely write to it in place).
    Objects that cannot be deep-copied fall back to a shallow copy, then to the object itself.
    """
    memo: dict[int, Any] = {}
    seen: set[int] = set()
    stack = [dataset]
    while stack:  # find the arrays reachable through containers and instance attributes
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, Tensor | np.ndarray):
            memo[id(obj)] = obj  # deepcopy returns memo entries as they are
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            stack.extend(vars(obj).values())
    for attempt in (lambda: copy.deepcopy(dataset, memo), lambda: copy.copy(dataset)):
        try:
            return attempt()
        except Exception:  # noqa: BLE001 - e.g. an open file or a lock inside the dataset: try a lighter copy
            continue
    return dataset


def _generator_fields(g: R.Generator) -> tuple[Any, ...]:
    return g._mt, g._seed, g._next_double_normal, g._next_float_normal


def _set_generator_fields(g: R.Generator, fields: tuple[Any, ...]) -> None:
    g._mt, g._seed, g._next_double_normal, g._next_float_normal = fields


class WorkerState:
    """One emulated worker: its id, its WorkerInfo and its own torch / random / NumPy generator states."""

    def __init__(self, worker_id: int, num_workers: int, base_seed: int, dataset: Any) -> None:
        seed = base_seed + worker_id
        self.id = worker_id
        self.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        # torch.manual_seed(seed) in the worker seeds every device's generator
        self._torch = [_generator_fields(R.Generator().manual_seed(seed)) for _ in (0, 1)]
        self._python = _pyrandom.Random(seed).getstate()
        self._numpy = np.random.RandomState(_numpy_seed_words(base_seed, worker_id)).get_state()

    @contextmanager
    def active(self) -> Iterator[None]:
        """Run the enclosed code as this worker: its generators and WorkerInfo in, the main process's out."""
        global _worker_info
        gens = (R.default_generator, R.cuda_generator)
        main_torch = [_generator_fields(g) for g in gens]
        main_python, main_numpy, main_info = _pyrandom.getstate(), np.random.get_state(), _worker_info
        for g, fields in zip(gens, self._torch):
            _set_generator_fields(g, fields)
        _pyrandom.setstate(self._python)
        np.random.set_state(self._numpy)
        _worker_info = self.info
        try:
            yield
        finally:
            # keep the worker's advanced states for its next task, then give the main process its own back
            self._torch = [_generator_fields(g) for g in gens]
            self._python, self._numpy = _pyrandom.getstate(), np.random.get_state()
            for g, fields in zip(gens, main_torch):
                _set_generator_fields(g, fields)
            _pyrandom.setstate(main_python)
            np.random.set_state(main_numpy)
            _worker_info = main_info

    def run(self, fn: Callable[[], Any]) -> Any:
        with self.active():
            return fn()


__all__ = ["WorkerInfo", "get_worker_info"]
