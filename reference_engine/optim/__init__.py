"""``optim``: Optimizer, SGD, Adam, RMSprop, mirroring ``torch.optim``."""

from .adam import Adam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adam", "Optimizer", "RMSprop"]
