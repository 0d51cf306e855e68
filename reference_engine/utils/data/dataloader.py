"""``DataLoader`` (``torch.utils.data.dataloader``): batches from a dataset, drawing random numbers as torch does.

What a DataLoader draws from the generators (torch 2.13, found by experiment and by reading its source):

- creating an iterator (``iter(loader)``, so every ``for`` loop) first calls
  ``iter()`` on the index sampler, then draws the *base seed*,
  ``empty((), dtype=int64).random_(generator=loader.generator)``: one 64-bit
  word, from ``generator=`` if given, else from the default generator, shuffled or not;
- with ``shuffle=True`` and no ``generator=``, the RandomSampler then seeds its own
  generator from the default one at the first batch (another 64-bit word);
  so one shuffled epoch costs the default generator four 32-bit words, an unshuffled one two;
- with ``generator=``, that generator gives the base seed and the permutations.

``num_workers > 0`` runs in this process (there are no worker processes), reproducing what
torch's workers do that can be observed: each worker is seeded with ``base_seed + id``
(torch, ``random``, NumPy), batch i is fetched by worker ``i % num_workers``, ``get_worker_info()``
answers inside the worker's code, ``worker_init_fn`` runs once per worker, the sampler is read
ahead by ``prefetch_factor * num_workers`` batches (so a shuffled loader's sampler seed is drawn
at ``iter()``), ``persistent_workers`` keeps the workers (and their generators) across epochs,
and an exception in a worker is re-raised as "Caught ... in DataLoader worker process N.". Prefetched
batches are fetched as soon as their indices are taken. Each worker holds its own copy of the
dataset (``_utils.worker.worker_copy``: Python objects copied, tensor and array data shared).
Differences: what worker code does to objects outside its dataset copy (a list a ``worker_init_fn``
appends to, a tensor written in place) is seen by the main process, where torch's processes would
lose it; ``in_order=False`` still returns batches in order; ``timeout``, ``pin_memory`` and
``multiprocessing_context`` have no effect beyond torch's checks and warnings.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from ... import cuda
from ... import random as R
from ._utils.collate import default_collate, default_convert
from ._utils.worker import WorkerState, get_worker_info, worker_copy
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _draw_seed

_T_co = TypeVar("_T_co", covariant=True)


class _DatasetKind:
    Map = 0
    Iterable = 1

    @staticmethod
    def create_fetcher(
        kind: int, dataset: Any, auto_collation: bool, collate_fn: Callable[..., Any], drop_last: bool
    ) -> Any:
        if kind == _DatasetKind.Map:
            return _MapDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)
        return _IterableDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)


class _Fetcher:
    """What both fetchers keep: the dataset and how a batch is made from it."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[..., Any], drop_last: bool) -> None:
        self.dataset, self.auto_collation = dataset, auto_collation
        self.collate_fn, self.drop_last = collate_fn, drop_last


class _MapDatasetFetcher(_Fetcher):
    def fetch(self, possibly_batched_index: Any) -> Any:
        if self.auto_collation:
            if hasattr(self.dataset, "__getitems__") and self.dataset.__getitems__:
                data = self.dataset.__getitems__(possibly_batched_index)
            else:
                data = [self.dataset[idx] for idx in possibly_batched_index]
        else:
            data = self.dataset[possibly_batched_index]
        return self.collate_fn(data)


class _IterableDatasetFetcher(_Fetcher):
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[..., Any], drop_last: bool) -> None:
        super().__init__(dataset, auto_collation, collate_fn, drop_last)
        self.dataset_iter = iter(dataset)
        self.ended = False

    def fetch(self, possibly_batched_index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in possibly_batched_index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if len(data) == 0 or (self.drop_last and len(data) < len(possibly_batched_index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


class _InfiniteConstantSampler(Sampler[None]):
    """The sampler of an IterableDataset: ``None`` forever (the dataset decides when to stop)."""

    def __iter__(self) -> Any:
        while True:
            yield None


def _cpu_count() -> int | None:
    # torch counts the CPUs this process may run on, not all of the machine's
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


class DataLoader(Generic[_T_co]):
    """Iterate over a dataset in batches: torch's DataLoader, with torch's checks, messages and random draws."""

    _initialized = False

    def __init__(
        self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
        sampler: Sampler[Any] | Iterable[Any] | None = None, batch_sampler: Sampler[Any] | Iterable[Any] | None = None,
        num_workers: int = 0, collate_fn: Callable[..., Any] | None = None, pin_memory: bool = False,
        drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None, generator: R.Generator | None = None, *,
        prefetch_factor: int | None = None, persistent_workers: bool = False, pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:  # fmt: skip
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to enable "
                "multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        # dataset-related checks come first so that users of an IterableDataset hear about that first
        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle not in {False, None}:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                    f"but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._initialized = True
        self._IterableDataset_len_called: int | None = None
        self._iterator: _BaseDataLoaderIter | None = None
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self) -> Any:
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context: Any) -> None:
        if context is not None:
            if self.num_workers <= 0:
                raise ValueError(
                    "multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                    f"but got num_workers={self.num_workers}"
                )
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(
                        f"multiprocessing_context option should specify a valid start method in {methods!r}, "
                        f"but got multiprocessing_context={context!r}"
                    )
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(
                    "multiprocessing_context option should be a valid context object or a string specifying the "
                    f"start method, but got multiprocessing_context={context}"
                )
        self._multiprocessing_context = context

    def __setattr__(self, attr: str, val: Any) -> None:
        if self._initialized and attr in (
            "batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers",
        ):  # fmt: skip
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    def _get_iterator(self) -> _BaseDataLoaderIter:
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        return _InProcessWorkersDataLoaderIter(self)

    def __iter__(self) -> _BaseDataLoaderIter:
        if self.persistent_workers and self.num_workers > 0:
            # one iterator for the loader's lifetime: its workers (and their generators) carry over
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        # batches of indices with automatic batching, single indices without
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._dataset_kind == _DatasetKind.Iterable:
            # the dataset's own length, in batches; remembered, to warn if the stream turns out longer
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else -(-length // self.batch_size)
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self) -> None:
        """torch's warning when more workers are asked for than this process has CPUs."""
        if not self.num_workers:
            return
        suggested = _cpu_count()
        if suggested is not None and self.num_workers <= suggested:
            return
        if suggested is None:
            detail = "DataLoader is not able to compute a suggested max number of worker in current system."
        else:
            cpuset = "" if hasattr(os, "sched_getaffinity") else " (`cpuset` is not taken into account)"
            detail = (
                f"Our suggested max number of worker in current system is {suggested}{cpuset}, which is smaller than "
                "what this DataLoader is going to create."
            )
        warnings.warn(
            f"This DataLoader will create {self.num_workers} worker processes in total. {detail} Please be aware "
            "that excessive worker creation might get DataLoader running slow or even freeze, lower the worker "
            "number to avoid potential slowness/freeze if necessary.",
            stacklevel=2,
        )


class _BaseDataLoaderIter:
    def __init__(self, loader: DataLoader[Any]) -> None:
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn(
                "pin_memory_device is deprecated, the current accelerator will be used as the device,"
                f"ignore pin_memory_device='{loader.pin_memory_device}'.",
                stacklevel=2,
            )
        if loader.pin_memory and not cuda.is_available():
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device pinned memory "
                "won't be used.",
                stacklevel=2,
            )
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        # order matters for the generators: the sampler's iter() (lazy for torch's samplers) before the base seed
        self._sampler_iter: Any = iter(self._index_sampler)
        self._base_seed = _draw_seed(loader.generator)
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self) -> _BaseDataLoaderIter:
        return self

    def _reset(self, loader: DataLoader[Any], first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self) -> Any:
        return next(self._sampler_iter)  # may raise StopIteration

    def _next_data(self) -> Any:
        raise NotImplementedError

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        if (
            self._dataset_kind == _DatasetKind.Iterable
            and self._IterableDataset_len_called is not None
            and self._num_yielded > self._IterableDataset_len_called
        ):
            msg = (
                f"Length of IterableDataset {self._dataset} was reported to be {self._IterableDataset_len_called}"
                f"(when accessing len(dataloader)), but {self._num_yielded} samples have been fetched. "
            )
            if self._num_workers > 0:
                msg += (
                    "For multiprocessing data-loading, this could be caused by not properly configuring the "
                    "IterableDataset replica at each worker. Please see "
                    "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset for examples."
                )
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self) -> Any:
        raise NotImplementedError("{} cannot be pickled", self.__class__.__name__)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader[Any]) -> None:
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._dataset_fetcher = _DatasetKind.create_fetcher(
            self._dataset_kind, self._dataset, self._auto_collation, self._collate_fn, self._drop_last
        )

    def _next_data(self) -> Any:
        index = self._next_index()  # may raise StopIteration
        return self._dataset_fetcher.fetch(index)  # may raise StopIteration (iterable datasets)


class _KeyErrorMessage(str):
    """A KeyError's message that prints as itself: KeyError shows repr(arg), which would quote the traceback."""

    __slots__ = ()

    def __repr__(self) -> str:
        return self


class _WorkerFailure:
    """An exception raised in a worker, re-raised in the main process when its batch comes up (torch's format)."""

    def __init__(self, exc: BaseException, worker_id: int) -> None:
        self.exc_type = type(exc)
        self.where = f"in DataLoader worker process {worker_id}"
        self.exc_msg = "".join(traceback.format_exception(exc))

    def reraise(self) -> None:
        msg: str = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)  # type: ignore[call-arg]
        try:
            exception = self.exc_type(msg)
        except Exception:  # noqa: BLE001 - an exception type that takes other arguments: torch falls back too
            raise RuntimeError(msg) from None
        raise exception


class _WorkerStopped:
    """An iterable dataset's worker ran out of data: it takes no more batches."""


class _InProcessWorkersDataLoaderIter(_BaseDataLoaderIter):
    """``num_workers > 0`` without processes: torch's task bookkeeping, with each task run at once as its worker."""

    def __init__(self, loader: DataLoader[Any]) -> None:
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor or 0
        if self._prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter")
        # each worker works on its own copy of the dataset, as torch's worker processes do
        self._workers = [
            WorkerState(i, self._num_workers, self._base_seed, worker_copy(self._dataset))
            for i in range(self._num_workers)
        ]
        self._fetchers: list[Any] = [None] * self._num_workers
        self._pending: list[Any] = [None] * self._num_workers  # an error from worker_init_fn, for its first task
        for w in self._workers:
            if loader.worker_init_fn is not None:
                try:
                    w.run(lambda w=w: loader.worker_init_fn(w.id))
                except Exception as exc:  # noqa: BLE001 - torch hands it to the first batch of that worker
                    self._pending[w.id] = _WorkerFailure(exc, w.id)
                    continue
            self._start_fetcher(w)
        self._reset(loader, first_iter=True)

    def _start_fetcher(self, w: WorkerState) -> None:
        def make() -> Any:
            return _DatasetKind.create_fetcher(
                self._dataset_kind, w.info.dataset, self._auto_collation, self._collate_fn, self._drop_last
            )

        try:
            self._fetchers[w.id] = w.run(make)
        except Exception as exc:  # noqa: BLE001 - e.g. the dataset's __iter__ failing, reported with the first batch
            self._pending[w.id] = _WorkerFailure(exc, w.id)

    def _reset(self, loader: DataLoader[Any], first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        self._send_idx = 0  # the next task to hand to a worker
        self._rcvd_idx = 0  # the next task to return
        self._task_info: dict[int, tuple[Any, ...]] = {}
        self._workers_status = [True] * self._num_workers
        self._next_worker = 0
        if not first_iter:
            for w in self._workers:  # persistent workers start the new epoch with fresh fetchers
                self._start_fetcher(w)
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _pick_worker(self) -> int | None:
        """The next active worker in round-robin order (torch cycles over all, skipping inactive ones)."""
        for _ in range(self._num_workers):
            wid = self._next_worker
            self._next_worker = (self._next_worker + 1) % self._num_workers
            if self._workers_status[wid]:
                return wid
        return None

    def _try_put_index(self) -> None:
        try:
            index = self._next_index()
        except StopIteration:
            return
        wid = self._pick_worker()
        if wid is None:
            return
        idx = self._send_idx
        self._send_idx += 1
        result = self._run_task(wid, index)
        if isinstance(result, _WorkerStopped):
            # torch's main process retires the worker and hands out one more index in its place
            self._task_info[idx] = (wid,)
            self._workers_status[wid] = False
            self._try_put_index()
        else:
            self._task_info[idx] = (wid, result)

    def _run_task(self, wid: int, index: Any) -> Any:
        if self._pending[wid] is not None:
            failure, self._pending[wid] = self._pending[wid], None
            return failure
        try:
            return self._workers[wid].run(lambda: self._fetchers[wid].fetch(index))
        except Exception as exc:  # noqa: BLE001 - re-raised in the main process when this batch comes up
            if isinstance(exc, StopIteration) and self._dataset_kind == _DatasetKind.Iterable:
                return _WorkerStopped()
            return _WorkerFailure(exc, wid)

    def _next_data(self) -> Any:
        while self._rcvd_idx < self._send_idx:
            info = self._task_info.pop(self._rcvd_idx, None)
            self._rcvd_idx += 1
            if info is not None and len(info) == 2:
                data = info[1]
                self._try_put_index()  # torch asks for the next index before re-raising a worker's error
                if isinstance(data, _WorkerFailure):
                    data.reraise()
                return data
        raise StopIteration


# torch.utils.data.dataloader re-exports these
__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]
