"""The layer classes of ``nn``."""

from .activation import (
    ELU,
    GELU,
    GLU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
    Tanhshrink,
    Threshold,
)
from .attention import MultiheadAttention
from .batchnorm import BatchNorm1d, BatchNorm2d
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import Conv2d
from .conv_more import Conv1d, ConvTranspose1d, ConvTranspose2d
from .flatten import Dropout, Flatten, Unflatten
from .linear import Identity, Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .loss2 import (
    Bilinear,
    CosineEmbeddingLoss,
    GaussianNLLLoss,
    MarginRankingLoss,
    PairwiseDistance,
    PoissonNLLLoss,
    TripletMarginLoss,
)
from .misc import (
    CELU,
    SELU,
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    Hardshrink,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    RReLU,
    Softmax2d,
    Softshrink,
    ZeroPad1d,
    ZeroPad2d,
)
from .normalization import CosineSimilarity, GroupNorm, LayerNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .pooling1d import AdaptiveAvgPool1d, AvgPool1d, Dropout1d, MaxPool1d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding
from .transformer import TransformerEncoder, TransformerEncoderLayer
from .vision import (
    AdaptiveMaxPool2d,
    Dropout2d,
    InstanceNorm2d,
    PixelShuffle,
    PixelUnshuffle,
    PReLU,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "MaxPool2d",
    "BCEWithLogitsLoss", "Conv2d", "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "L1Loss", "Linear",
    "LogSoftmax", "MSELoss", "NLLLoss", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh", "Unflatten",
    "ModuleDict", "ModuleList", "ParameterDict", "ParameterList",
    "ELU", "GELU", "GLU", "Hardsigmoid", "Hardswish", "Hardtanh", "LeakyReLU", "LogSigmoid", "Mish", "ReLU6",
    "SiLU", "Softmin", "Softplus", "Softsign", "Tanhshrink", "Threshold",
    "CosineSimilarity", "Embedding", "GroupNorm", "LayerNorm",
    "BCELoss", "HuberLoss", "KLDivLoss", "SmoothL1Loss",
    "GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase",
    "Conv1d", "ConvTranspose1d", "ConvTranspose2d", "MultiheadAttention",
    "AdaptiveMaxPool2d", "Dropout2d", "InstanceNorm2d", "PixelShuffle", "PixelUnshuffle", "PReLU", "Upsample",
    "UpsamplingBilinear2d", "UpsamplingNearest2d",
    "CELU", "RReLU", "SELU", "Hardshrink", "Softmax2d", "Softshrink",
    "CircularPad1d", "CircularPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d",
    "ReplicationPad1d", "ReplicationPad2d", "ZeroPad1d", "ZeroPad2d",
    "AdaptiveAvgPool1d", "AvgPool1d", "Dropout1d", "MaxPool1d",
    "Bilinear", "CosineEmbeddingLoss", "GaussianNLLLoss", "MarginRankingLoss", "PairwiseDistance", "PoissonNLLLoss",
    "TripletMarginLoss", "TransformerEncoder", "TransformerEncoderLayer",
]  # fmt: skip
