"""``reference_engine.utils.data`` against ``torch.utils.data`` 2.13: batches, containers, lengths, errors, draws.

Every test runs the same code on torch and on the engine (``lib`` is the library
under test) after the same ``manual_seed``, and compares what came out: tensors
with ``np.array_equal`` and their dtypes, container types, lengths, errors (type
and message), and then one more draw from the default generator, which shows that
the data loading consumed the generator exactly as torch does. Expected values
always come from torch in the same test.

``num_workers > 0`` runs in-process on the engine (see docs/data.md); the worker
tests compare it with torch's real worker processes.
"""

from __future__ import annotations

import collections
import random
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import reference_engine as E

LIBS = (torch, E)
Point = collections.namedtuple("Point", "x y")


def plain(x: Any) -> Any:
    """A library-neutral picture of a result: tensors as (dtype, array), containers with their type names."""
    if isinstance(x, torch.Tensor | E.Tensor):
        return ("tensor", str(x.dtype), x.detach().numpy().copy())
    if isinstance(x, dict | collections.OrderedDict | collections.defaultdict):
        return (type(x).__name__, {k: plain(v) for k, v in x.items()})
    if isinstance(x, list | tuple):
        return (type(x).__name__, [plain(v) for v in x])
    if isinstance(x, np.ndarray):
        return ("ndarray", str(x.dtype), x)
    return (type(x).__name__, x)


def assert_same(actual: Any, expected: Any, where: str = "result") -> None:
    """Equal pictures: same container types and lengths, tensors with the same dtype, shape and bits."""
    if isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray), where
        assert actual.dtype == expected.dtype and actual.shape == expected.shape, (
            f"{where}: {actual.dtype}{actual.shape}"
        )
        assert np.array_equal(actual, expected), f"{where}: {actual} != {expected}"
    elif isinstance(expected, tuple | list):
        assert type(actual) is type(expected) and len(actual) == len(expected), f"{where}: {actual!r} != {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{where}[{i}]")
    elif isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), f"{where}: keys {list(actual)}"
        for k in expected:
            assert_same(actual[k], expected[k], f"{where}[{k!r}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def same_run(fn: Callable[[ModuleType], Any], seed: int = 0) -> Any:
    """fn(torch) and fn(engine) after manual_seed(seed): equal results, then equal next draws."""
    pictures, follows = [], []
    for lib in LIBS:
        lib.manual_seed(seed)
        pictures.append(plain(fn(lib)))
        follows.append(lib.rand(3, dtype=lib.float64).numpy().copy())
    assert_same(pictures[1], pictures[0])
    assert np.array_equal(follows[1], follows[0]), "the default generator's state after the call differs from torch's"
    return pictures[0]


def same_error(fn: Callable[[ModuleType], Any]) -> str:
    """fn raises on both libraries: the same exception type and the same message."""
    seen = []
    for lib in LIBS:
        with pytest.raises(Exception) as info:
            fn(lib)
        seen.append((type(info.value).__name__, str(info.value)))
    assert seen[1] == seen[0]
    return seen[0][1]


def data(lib: ModuleType) -> ModuleType:
    return lib.utils.data


def toy(lib: ModuleType, n: int = 23) -> Any:
    """A TensorDataset of n float32 rows and int64 labels, drawn from the seeded generator."""
    return data(lib).TensorDataset(lib.randn(n, 3), lib.arange(n))


def epochs(loader: Any, k: int = 2) -> list[Any]:
    return [batch for _ in range(k) for batch in loader]


# --------------------------------------------------------------------------- DataLoader over a TensorDataset
LOADER_CASES = [
    {"batch_size": 4},
    {"batch_size": 4, "shuffle": True},
    {"batch_size": 5, "shuffle": True, "drop_last": True},
    {"batch_size": 23, "shuffle": True},
    {"batch_size": 50},
    {"batch_size": None},
    {"batch_size": None, "shuffle": True},
    {"batch_size": 3, "shuffle": False, "drop_last": True},
]


@pytest.mark.parametrize("use_generator", [False, True], ids=["default-gen", "own-gen"])
@pytest.mark.parametrize("kwargs", LOADER_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_tensordataset_batches_match_torch(kwargs: dict[str, Any], use_generator: bool) -> None:
    def run(lib: ModuleType) -> Any:
        kw = dict(kwargs, generator=lib.Generator().manual_seed(11)) if use_generator else kwargs
        loader = data(lib).DataLoader(toy(lib), **kw)
        return [len(loader), epochs(loader)]

    same_run(run, seed=3)


def test_batches_are_lists_of_stacked_tensors() -> None:
    picture = same_run(lambda lib: next(iter(data(lib).DataLoader(toy(lib), batch_size=4))))
    # torch returns a tuple sample's columns as a *list*: [x batch (4, 3) float32, y batch (4,) int64]
    assert picture[0] == "list" and picture[1][0][1] == "torch.float32" and picture[1][1][1] == "torch.int64"


def test_when_the_loader_draws() -> None:
    """The base seed is drawn at iter() (shuffled or not), the sampler's seed at the first batch."""

    def run(lib: ModuleType, shuffle: bool) -> Any:
        loader = data(lib).DataLoader(toy(lib, 10), batch_size=3, shuffle=shuffle)
        it = iter(loader)
        after_iter = lib.rand(2)
        first = next(it)
        after_first = lib.rand(2)
        rest = list(it)
        return [after_iter, first, after_first, rest, lib.rand(2)]

    for shuffle in (False, True):
        same_run(lambda lib, s=shuffle: run(lib, s))


def test_loader_generator_is_used_for_base_seed_and_permutations() -> None:
    """With generator=, that generator gives the base seed and the permutations; the default one is untouched."""

    def run(lib: ModuleType) -> Any:
        g = lib.Generator().manual_seed(5)
        ds = toy(lib, 10)
        state = lib.get_rng_state()
        batches = epochs(data(lib).DataLoader(ds, batch_size=3, shuffle=True, generator=g))
        untouched = bool((lib.get_rng_state() == state).all())
        return [batches, untouched, lib.rand(3, generator=g)]

    assert same_run(run)[1][1] == ("bool", True)


def test_partial_epoch_then_new_epoch() -> None:
    def run(lib: ModuleType) -> Any:
        g = lib.Generator().manual_seed(9)
        loader = data(lib).DataLoader(toy(lib, 17), batch_size=4, shuffle=True, generator=g)
        out = []
        for i, batch in enumerate(loader):
            out.append(batch)
            if i == 1:
                break
        out.extend(loader)
        return [out, lib.rand(2, generator=g)]

    same_run(run)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 + 5),
    n=st.integers(1, 70),
    batch_size=st.integers(1, 20),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    own_generator=st.booleans(),
    n_epochs=st.integers(1, 3),
)
def test_loader_hypothesis(
    seed: int, n: int, batch_size: int, shuffle: bool, drop_last: bool, own_generator: bool, n_epochs: int
) -> None:
    def run(lib: ModuleType) -> Any:
        g = lib.Generator().manual_seed(seed + 1) if own_generator else None
        loader = data(lib).DataLoader(
            toy(lib, n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, generator=g
        )
        return [len(loader), epochs(loader, n_epochs)]

    same_run(run, seed=seed)


# --------------------------------------------------------------------------- default_collate / default_convert
COLLATE_CASES: dict[str, Callable[[ModuleType], list[Any]]] = {
    "tensors": lambda lib: [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])],
    "int64-tensors": lambda lib: [lib.tensor(1), lib.tensor(2)],
    "mixed-dtype-tensors": lambda lib: [lib.tensor(1), lib.tensor(2.5)],
    "python-ints": lambda lib: [1, 2, 3],
    "python-floats": lambda lib: [1.5, 2.25],
    "bools": lambda lib: [True, False],
    "int-then-float": lambda lib: [1, 2.5],
    "strings": lambda lib: ["a", "bc"],
    "bytes": lambda lib: [b"a", b"b"],
    "numpy-arrays": lambda lib: [np.arange(3, dtype=np.int32), np.arange(3, 6, dtype=np.int32)],
    "numpy-float64-arrays": lambda lib: [np.ones((2, 2)), np.zeros((2, 2))],
    "numpy-0d": lambda lib: [np.array(1.5, dtype=np.float32), np.array(2.5, dtype=np.float32)],
    "numpy-scalars-f32": lambda lib: [np.float32(1.5), np.float32(2.0)],
    "numpy-scalars-f64": lambda lib: [np.float64(1.5), np.float64(2.0)],
    "numpy-scalars-int16": lambda lib: [np.int16(1), np.int16(7)],
    "numpy-bool": lambda lib: [np.bool_(True), np.bool_(False)],
    "tuples": lambda lib: [(lib.tensor(1.0), 1, "a"), (lib.tensor(2.0), 2, "b")],
    "lists": lambda lib: [[1, 2.0], [3, 4.0]],
    "dicts": lambda lib: [{"x": lib.tensor([1.0]), "y": 0}, {"x": lib.tensor([2.0]), "y": 1}],
    "ordered-dicts": lambda lib: [collections.OrderedDict(a=1.0, b=2), collections.OrderedDict(a=3.0, b=4)],
    "namedtuples": lambda lib: [Point(1, lib.tensor(1.0)), Point(2, lib.tensor(2.0))],
    "nested": lambda lib: [{"pair": (1, [2.0, 3])}, {"pair": (4, [5.0, 6])}],
    "single": lambda lib: [(lib.tensor([1, 2]), 3)],
}


@pytest.mark.parametrize("case", list(COLLATE_CASES))
def test_default_collate(case: str) -> None:
    same_run(lambda lib: data(lib).default_collate(COLLATE_CASES[case](lib)))


@pytest.mark.parametrize("case", list(COLLATE_CASES))
def test_default_convert(case: str) -> None:
    same_run(lambda lib: [data(lib).default_convert(sample) for sample in COLLATE_CASES[case](lib)])


def test_collate_container_types() -> None:
    """What comes back for each container (found by experiment on torch 2.13)."""
    picture = same_run(lambda lib: data(lib).default_collate(COLLATE_CASES["tuples"](lib)))
    assert picture[0] == "list"  # a tuple sample gives a list of columns
    assert picture[1][2] == ("tuple", [("str", "a"), ("str", "b")])  # a column of strings stays the zip tuple
    picture = same_run(lambda lib: data(lib).default_collate(COLLATE_CASES["namedtuples"](lib)))
    assert picture[0] == "Point"
    picture = same_run(lambda lib: data(lib).default_collate(COLLATE_CASES["python-floats"](lib)))
    assert picture[1] == "torch.float64"  # Python floats become float64, not the default dtype


COLLATE_ERRORS: dict[str, Callable[[ModuleType], list[Any]]] = {
    "unequal-lengths": lambda lib: [[1, 2], [3]],
    "object": lambda lib: [object(), object()],
    "string-array": lambda lib: [np.array(["a"]), np.array(["b"])],
    "object-array": lambda lib: [np.array([None]), np.array([None])],
    "unequal-tensors": lambda lib: [lib.zeros(2), lib.zeros(3)],
    "none": lambda lib: [None, None],
}


@pytest.mark.parametrize("case", list(COLLATE_ERRORS))
def test_default_collate_errors(case: str) -> None:
    message = same_error(lambda lib: data(lib).default_collate(COLLATE_ERRORS[case](lib)))
    assert message


def test_collate_fn_and_custom_container_dataset() -> None:
    """A map-style Dataset subclass returning dicts, with and without a custom collate_fn."""

    def run(lib: ModuleType) -> Any:
        class Squares(data(lib).Dataset):
            def __len__(self) -> int:
                return 10

            def __getitem__(self, i: int) -> dict[str, Any]:
                return {"i": i, "sq": float(i * i), "name": f"n{i}", "vec": lib.full((2,), float(i))}

        ds = Squares()
        default = list(data(lib).DataLoader(ds, batch_size=4, shuffle=True))
        custom = list(data(lib).DataLoader(ds, batch_size=3, collate_fn=lambda b: [d["i"] for d in b]))
        unbatched = list(data(lib).DataLoader(ds, batch_size=None))[:2]
        return [default, custom, unbatched]

    same_run(run)


def test_getitems_is_used_for_batches() -> None:
    def run(lib: ModuleType) -> Any:
        calls: list[Any] = []

        class Batched(data(lib).Dataset):
            def __len__(self) -> int:
                return 7

            def __getitem__(self, i: int) -> Any:
                calls.append(("one", i))
                return lib.tensor(float(i))

            def __getitems__(self, indices: list[int]) -> list[Any]:
                calls.append(("many", list(indices)))
                return [lib.tensor(float(i) * 10) for i in indices]

        return [list(data(lib).DataLoader(Batched(), batch_size=3, shuffle=True)), calls]

    same_run(run)


# --------------------------------------------------------------------------- samplers
SAMPLER_CASES: dict[str, Callable[[ModuleType, Any], Any]] = {
    "sequential": lambda lib, ds: data(lib).SequentialSampler(ds),
    "random": lambda lib, ds: data(lib).RandomSampler(ds),
    "random-gen": lambda lib, ds: data(lib).RandomSampler(ds, generator=lib.Generator().manual_seed(4)),
    "random-fewer": lambda lib, ds: data(lib).RandomSampler(ds, num_samples=5),
    "random-more": lambda lib, ds: data(lib).RandomSampler(ds, num_samples=31),
    "random-replacement": lambda lib, ds: data(lib).RandomSampler(ds, replacement=True),
    "random-replacement-70": lambda lib, ds: data(lib).RandomSampler(ds, replacement=True, num_samples=70),
    "random-replacement-64-gen": lambda lib, ds: data(lib).RandomSampler(
        ds, replacement=True, num_samples=64, generator=lib.Generator().manual_seed(2)
    ),
    "subset-random": lambda lib, ds: data(lib).SubsetRandomSampler([1, 4, 6, 9, 10]),
    "weighted": lambda lib, ds: data(lib).WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 12),
    "weighted-no-replacement": lambda lib, ds: data(lib).WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3], 4, False),
    "batch": lambda lib, ds: data(lib).BatchSampler(data(lib).SequentialSampler(ds), 4, False),
    "batch-drop-last": lambda lib, ds: data(lib).BatchSampler(data(lib).RandomSampler(ds), 4, True),
    "batch-of-range": lambda lib, ds: data(lib).BatchSampler(range(10), 3, False),
}


@pytest.mark.parametrize("case", list(SAMPLER_CASES))
def test_samplers(case: str) -> None:
    def run(lib: ModuleType) -> Any:
        sampler = SAMPLER_CASES[case](lib, toy(lib, 11))
        return [len(sampler), list(sampler), list(sampler)]

    same_run(run)


@pytest.mark.parametrize("case", ["random", "random-replacement", "subset-random", "weighted", "batch-drop-last"])
def test_sampler_in_loader(case: str) -> None:
    def run(lib: ModuleType) -> Any:
        ds = toy(lib, 11)
        sampler = SAMPLER_CASES[case](lib, ds)
        if case.startswith("batch"):
            loader = data(lib).DataLoader(ds, batch_sampler=sampler)
        else:
            loader = data(lib).DataLoader(ds, batch_size=4, sampler=sampler)
        return [len(loader), epochs(loader)]

    same_run(run)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(1, 40),
    replacement=st.booleans(),
    num_samples=st.one_of(st.none(), st.integers(1, 100)),
    own_generator=st.booleans(),
)
def test_random_sampler_hypothesis(
    seed: int, n: int, replacement: bool, num_samples: int | None, own_generator: bool
) -> None:
    def run(lib: ModuleType) -> Any:
        g = lib.Generator().manual_seed(seed ^ 0x5EED) if own_generator else None
        sampler = data(lib).RandomSampler(range(n), replacement=replacement, num_samples=num_samples, generator=g)
        return [len(sampler), list(sampler), list(sampler)]

    same_run(run, seed=seed)


# --------------------------------------------------------------------------- datasets and random_split
@pytest.mark.parametrize(
    "lengths",
    [[3, 7], [0.3, 0.7], [0.5, 0.5], [0.34, 0.33, 0.33], [1 / 3, 1 / 3, 1 / 3], [0.1, 0.2, 0.3, 0.4], [10], [1.0]],
    ids=str,
)
@pytest.mark.parametrize("generator", ["default", "own", "none"])
def test_random_split(lengths: list[Any], generator: str) -> None:
    def run(lib: ModuleType) -> Any:
        ds = toy(lib, 10)
        kw: dict[str, Any] = {}
        if generator == "own":
            kw["generator"] = lib.Generator().manual_seed(42)
        elif generator == "none":
            kw["generator"] = None
        parts = data(lib).random_split(ds, lengths, **kw)
        return [[type(p).__name__ for p in parts], [list(p.indices) for p in parts], [p[0] for p in parts if len(p)]]

    same_run(run)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), sizes=st.lists(st.integers(0, 9), min_size=1, max_size=5), fractions=st.booleans())
def test_random_split_hypothesis(seed: int, sizes: list[int], fractions: bool) -> None:
    n = sum(sizes)
    lengths: list[Any] = [s / n for s in sizes] if fractions and n else sizes

    def run(lib: ModuleType) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                parts = [list(p) for p in data(lib).random_split(range(n), lengths)]
            except ValueError as exc:  # fractions whose float sum exceeds 1 are refused as lengths
                parts = [str(exc)]
        return [parts, [str(w.message) for w in caught]]

    same_run(run, seed=seed)


def test_random_split_warns_on_empty_split() -> None:
    def run(lib: ModuleType) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parts = data(lib).random_split(range(3), [0.1, 0.1, 0.8])
        return [[len(p) for p in parts], [(w.category.__name__, str(w.message)) for w in caught]]

    picture = same_run(run)
    assert picture[1][1], "torch warns about the empty split"


def test_subset_concat_stack() -> None:
    def run(lib: ModuleType) -> Any:
        ds = toy(lib, 8)
        sub = data(lib).Subset(ds, [5, 1, 7])
        concat = ds + sub
        stacked = data(lib).StackDataset(ds, data(lib).TensorDataset(lib.arange(8.0) * 2))
        named = data(lib).StackDataset(a=ds, b=sub + sub + data(lib).Subset(ds, [0, 0]))
        return [
            len(sub), sub[1], sub[[0, 2]], len(concat), concat[9], concat[-1], concat.cumulative_sizes,
            list(data(lib).DataLoader(concat, batch_size=4, shuffle=True)),
            list(data(lib).DataLoader(stacked, batch_size=3)),
            list(data(lib).DataLoader(named, batch_size=5)),
        ]  # fmt: skip

    same_run(run)


def test_plain_list_dataset() -> None:
    """Any indexable with a length works: a list of (x, y) pairs."""

    def run(lib: ModuleType) -> Any:
        pairs = [(lib.randn(2), i % 3) for i in range(9)]
        loader = data(lib).DataLoader(pairs, batch_size=4, shuffle=True)
        return [len(loader), list(loader)]

    same_run(run)


# --------------------------------------------------------------------------- iterable datasets
def counting_stream(lib: ModuleType, n: int) -> Any:
    class Stream(data(lib).IterableDataset):
        def __init__(self) -> None:
            self.n = n

        def __iter__(self) -> Any:
            info = data(lib).get_worker_info()
            start, step = (info.id, info.num_workers) if info else (0, 1)
            return iter([(lib.tensor(float(k)), k) for k in range(start, self.n, step)])

        def __len__(self) -> int:
            return self.n

    return Stream()


@pytest.mark.parametrize("kwargs", [{"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}])
def test_iterable_dataset(kwargs: dict[str, Any]) -> None:
    def run(lib: ModuleType) -> Any:
        loader = data(lib).DataLoader(counting_stream(lib, 10), **kwargs)
        return [len(loader), epochs(loader)]

    same_run(run)


def test_iterable_dataset_chain() -> None:
    def run(lib: ModuleType) -> Any:
        chain = counting_stream(lib, 4) + counting_stream(lib, 3)
        return [len(chain), list(data(lib).DataLoader(chain, batch_size=3))]

    same_run(run)


# --------------------------------------------------------------------------- errors
ERRORS: dict[str, Callable[[ModuleType], Any]] = {
    "shuffle-with-sampler": lambda lib: data(lib).DataLoader(toy(lib), sampler=range(3), shuffle=True),
    "batch-sampler-with-batch-size": lambda lib: data(lib).DataLoader(toy(lib), batch_sampler=[[0, 1]], batch_size=2),
    "batch-sampler-with-shuffle": lambda lib: data(lib).DataLoader(toy(lib), batch_sampler=[[0, 1]], shuffle=True),
    "batch-sampler-with-drop-last": lambda lib: data(lib).DataLoader(toy(lib), batch_sampler=[[0, 1]], drop_last=True),
    "batch-size-none-drop-last": lambda lib: data(lib).DataLoader(toy(lib), batch_size=None, drop_last=True),
    "batch-size-zero": lambda lib: data(lib).DataLoader(toy(lib), batch_size=0),
    "batch-size-bool": lambda lib: data(lib).BatchSampler(range(3), True, False),
    "drop-last-not-bool": lambda lib: data(lib).BatchSampler(range(3), 2, 1),
    "negative-workers": lambda lib: data(lib).DataLoader(toy(lib), num_workers=-1),
    "negative-timeout": lambda lib: data(lib).DataLoader(toy(lib), timeout=-1),
    "prefetch-without-workers": lambda lib: data(lib).DataLoader(toy(lib), prefetch_factor=2),
    "persistent-without-workers": lambda lib: data(lib).DataLoader(toy(lib), persistent_workers=True),
    "context-without-workers": lambda lib: data(lib).DataLoader(toy(lib), multiprocessing_context="fork"),
    "bad-context": lambda lib: data(lib).DataLoader(toy(lib), num_workers=1, multiprocessing_context="nope"),
    "set-batch-size": lambda lib: setattr(data(lib).DataLoader(toy(lib)), "batch_size", 4),
    "iterable-shuffle": lambda lib: data(lib).DataLoader(counting_stream(lib, 3), shuffle=True),
    "iterable-sampler": lambda lib: data(lib).DataLoader(counting_stream(lib, 3), sampler=[0]),
    "random-sampler-empty": lambda lib: data(lib).RandomSampler([]),
    "random-sampler-num-samples": lambda lib: data(lib).RandomSampler(range(3), num_samples=0),
    "random-sampler-replacement": lambda lib: data(lib).RandomSampler(range(3), replacement=1),
    "weighted-2d": lambda lib: data(lib).WeightedRandomSampler([[1.0, 2.0]], 1),
    "tensor-dataset-mismatch": lambda lib: data(lib).TensorDataset(lib.zeros(3), lib.zeros(4)),
    "split-bad-sum": lambda lib: data(lib).random_split(range(10), [3, 5]),
    "split-bad-fraction-sum": lambda lib: data(lib).random_split(range(10), [0.5, 0.6]),
    "split-negative-fraction": lambda lib: data(lib).random_split(range(10), [1.5, -0.5]),
    "dataset-getitem": lambda lib: data(lib).Dataset()[0],
    "no-len": lambda lib: len(data(lib).DataLoader(data(lib).Dataset())),
    "concat-empty": lambda lib: data(lib).ConcatDataset([]),
    "concat-iterable": lambda lib: data(lib).ConcatDataset([counting_stream(lib, 2)]),
    "concat-bad-index": lambda lib: data(lib).ConcatDataset([range(3)])[-4],
    "stack-size": lambda lib: data(lib).StackDataset(range(3), range(4)),
    "stack-both": lambda lib: data(lib).StackDataset(range(3), b=range(3)),
    "single-process-timeout": lambda lib: iter(data(lib).DataLoader(toy(lib), timeout=1)),
    "collate-in-loader": lambda lib: list(data(lib).DataLoader([[1, 2], [3]], batch_size=2)),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors(case: str) -> None:
    same_error(ERRORS[case])


def test_subset_subclass_must_override_getitems() -> None:
    def make(lib: ModuleType) -> Any:
        class Doubled(data(lib).Subset):
            def __getitem__(self, idx: int) -> Any:
                return 2 * super().__getitem__(idx)

        return Doubled(range(4), [0, 1])

    same_error(make)


# --------------------------------------------------------------------------- num_workers > 0 (in-process on the engine)
def noisy_dataset(lib: ModuleType) -> Any:
    """Each sample draws from torch, random and NumPy inside the worker and reports the worker it ran in."""

    class Noisy(data(lib).Dataset):
        def __len__(self) -> int:
            return 9

        def __getitem__(self, i: int) -> Any:
            info = data(lib).get_worker_info()
            worker = [info.id, info.num_workers, info.seed] if info else [-1, -1, -1]
            return lib.tensor(
                [float(i), lib.rand(1).item(), random.random(), np.random.rand()], dtype=lib.float64
            ), worker

    return Noisy()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": 2, "shuffle": True, "num_workers": 2},
        {"batch_size": 4, "num_workers": 1, "prefetch_factor": 1},
        {"batch_size": 3, "shuffle": True, "num_workers": 2, "persistent_workers": True},
        {"batch_size": None, "num_workers": 2},
    ],
    ids=["shuffled", "one-worker", "persistent", "unbatched"],
)
def test_workers_match_torch_processes(kwargs: dict[str, Any]) -> None:
    def run(lib: ModuleType) -> Any:
        random.seed(1)
        np.random.seed(1)
        loader = data(lib).DataLoader(noisy_dataset(lib), **kwargs)
        it = iter(loader)
        after_iter = lib.rand(2)  # torch's workers read the sampler ahead: the shuffle seed is already drawn
        batches = list(it) + epochs(loader, 1)
        # the main process's random and NumPy generators are not the workers'
        return [after_iter, batches, random.random(), np.random.rand()]

    same_run(run, seed=7)


def range_stream(lib: ModuleType, start: int, end: int) -> Any:
    """torch's documented IterableDataset (example 2): a range that worker_init_fn narrows per worker.

    Its ``__iter__`` returns the dataset itself, so each worker must hold its own copy.
    """

    class RangeStream(data(lib).IterableDataset):
        def __init__(self) -> None:
            self.start, self.end = start, end

        def __iter__(self) -> Any:
            self.pos = self.start
            return self

        def __next__(self) -> Any:
            if self.pos >= self.end:
                raise StopIteration
            self.pos += 1
            return self.pos - 1, lib.randint(0, 100, (1,)).item()

    return RangeStream()


def test_worker_init_fn_splits_the_dataset_copies() -> None:
    def run(lib: ModuleType) -> Any:
        def init(worker_id: int) -> None:
            info = data(lib).get_worker_info()
            ds = info.dataset  # the worker's copy
            per_worker = -(-(ds.end - ds.start) // info.num_workers)
            ds.start = ds.start + worker_id * per_worker
            ds.end = min(ds.start + per_worker, ds.end)
            lib.manual_seed(100 + worker_id)

        main = range_stream(lib, 3, 14)
        loader = data(lib).DataLoader(main, batch_size=2, num_workers=2, worker_init_fn=init)
        sharded = epochs(loader)
        return [
            sharded,
            [main.start, main.end],
            list(data(lib).DataLoader(counting_stream(lib, 11), batch_size=2, num_workers=2)),
        ]

    same_run(run)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataset_error_is_reraised(num_workers: int) -> None:
    def run(lib: ModuleType) -> Any:
        class Broken(data(lib).Dataset):
            def __len__(self) -> int:
                return 6

            def __getitem__(self, i: int) -> Any:
                if i == 3:
                    raise ValueError(f"sample {i} is broken")
                return lib.tensor(float(i))

        got: list[Any] = []
        try:
            for batch in data(lib).DataLoader(Broken(), batch_size=2, num_workers=num_workers):
                got.append(batch)
        except ValueError as exc:
            got.append(str(exc).splitlines()[0])  # with workers: "Caught ValueError in DataLoader worker process 1."
        return got

    same_run(run)


# --------------------------------------------------------------------------- end to end
def test_training_loop_matches_torch() -> None:
    """Linear + MSELoss + SGD over a shuffled DataLoader, 2 epochs: same batches, losses and weights as torch."""

    def train(lib: ModuleType) -> Any:
        lib.manual_seed(0)
        x = lib.randn(64, 3)
        y = x @ lib.tensor([[1.5], [-2.0], [0.5]]) + 0.1 * lib.randn(64, 1)
        model = lib.nn.Linear(3, 1)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        loss_fn = lib.nn.MSELoss()
        loader = data(lib).DataLoader(data(lib).TensorDataset(x, y), batch_size=8, shuffle=True)
        losses, batches = [], []
        for _ in range(2):
            for xb, yb in loader:
                batches.append(plain([xb, yb]))
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
                losses.append(loss.item())
        return np.array(losses), batches, plain([model.weight, model.bias]), lib.rand(3).numpy()

    expected, actual = train(torch), train(E)
    assert_same(actual[1], expected[1], "batches")
    # torch's vectorised float32 mean adds the 8 squared errors in another order than NumPy: the
    # printed losses may differ in the last bit (4.7e-7 relative seen). The weights come out identical on
    # AVX2 CPUs; elsewhere MKL's sgemm takes another code path for the (8, 3) @ (3, 1) products and a weight
    # can differ in its last bit (seen on an AVX-512 AMD EPYC), so they are compared to float32 rounding.
    np.testing.assert_allclose(actual[0], expected[0], rtol=2e-6, atol=0)
    for (_, a_dtype, a), (_, e_dtype, e) in zip(actual[2][1], expected[2][1], strict=True):
        assert a_dtype == e_dtype
        np.testing.assert_allclose(a, e, rtol=2e-7, atol=0)
    assert np.array_equal(actual[3], expected[3]), "next draw after training"
