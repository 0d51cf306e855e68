"""``nn``: modules, parameters, functional ops and initialisers, mirroring ``torch.nn``."""

from . import functional, init, utils
from ._functional.linear_cross_entropy import LinearCrossEntropyOptions
from .module import Module
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Parameter

__all__ = ["LinearCrossEntropyOptions", "Module", "Parameter", "functional", "init", "utils", *_modules_all]

# torch.nn.parallel (DataParallel, DistributedDataParallel); torch.nn.DataParallel is torch's alias
from . import parallel  # isort: skip
from .parallel import DataParallel  # isort: skip

__all__ += ["DataParallel", "parallel"]
