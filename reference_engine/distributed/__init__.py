"""torch.distributed: the engine has no process groups or collectives, and says so.

``is_available()`` is False (as in a torch built with ``USE_DISTRIBUTED=0``) and ``is_initialized()``
False (no process group can exist); the backend queries (``is_nccl_available`` ...) are False. Every
other function of torch.distributed a script calls (``init_process_group``, ``get_rank``, ``all_reduce``,
``barrier`` ...) raises ``RuntimeError`` naming it, rather than pretending to be rank 0 of 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["is_available", "is_gloo_available", "is_initialized", "is_mpi_available", "is_nccl_available"]


def unavailable(what: str) -> RuntimeError:
    """The error for using ``what`` (a qualified name), which needs a distributed backend."""
    return RuntimeError(
        f"{what} is not available: reference_engine has no distributed backend "
        "(torch.distributed.is_available() is False)"
    )


def is_available() -> bool:
    return False


def is_initialized() -> bool:
    return False


def is_nccl_available() -> bool:
    return False


def is_gloo_available() -> bool:
    return False


def is_mpi_available() -> bool:
    return False


def _refuse(name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        raise unavailable(f"torch.distributed.{name}")

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"torch.distributed.{name}: raises RuntimeError (the engine has no distributed backend)."
    return call


# the functions of torch.distributed's public API that scripts call; each raises on use
_REFUSED = (
    "init_process_group", "destroy_process_group", "get_rank", "get_world_size", "get_backend", "new_group",
    "barrier", "all_reduce", "all_gather", "all_gather_object", "all_gather_into_tensor", "reduce",
    "reduce_scatter", "reduce_scatter_tensor", "broadcast", "broadcast_object_list", "gather", "gather_object",
    "scatter", "scatter_object_list", "all_to_all", "all_to_all_single", "send", "recv", "isend", "irecv",
    "monitored_barrier", "get_global_rank", "get_process_group_ranks", "is_torchelastic_launched",
)  # fmt: skip
for _name in _REFUSED:
    globals()[_name] = _refuse(_name)
__all__ += list(_REFUSED)
