"""``utils.data``: torch.utils.data on the engine (Dataset, DataLoader, samplers, ``default_collate``, ``random_split``).

Batches, their dtypes and containers, and every draw from the generators match torch 2.13
after the same ``manual_seed`` (see docs/data.md); ``num_workers > 0`` runs in this process.
"""

from . import _utils, dataloader, dataset, sampler
from ._utils.worker import WorkerInfo
from .dataloader import DataLoader, _DatasetKind, default_collate, default_convert, get_worker_info
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset", "RandomSampler",
    "Sampler", "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler", "TensorDataset",
    "WeightedRandomSampler", "WorkerInfo", "_DatasetKind", "_utils", "dataloader", "dataset", "default_collate",
    "default_convert", "get_worker_info", "random_split", "sampler",
]  # fmt: skip
