"""The ``conformance`` console script."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    print("conformance: no commands yet")
    return 0
