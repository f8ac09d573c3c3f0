"""``from_schema`` of hypothesis-jsonschema, working on every Hypothesis the kit admits.

hypothesis-jsonschema 0.23.1 (its last release) builds objects with Hypothesis' private
``conjecture.utils.many`` and its ``more()`` method. Since Hypothesis 6.170.10, ``many`` is a
context manager iterated with ``for`` and has no ``more()``, so every object strategy raised
``AttributeError``. Schemathesis 4 answered the same break by writing its own JSON Schema
strategies; the kit needs only hypothesis-jsonschema's object strategy mended, so this module
gives it a ``many`` with ``more()`` built on the new interface, and only where the installed
Hypothesis lacks ``more()``. ``tests/contracts/test_jsonschema_compat.py`` fails when the
adapter is no longer needed (a fixed hypothesis-jsonschema) or no longer enough.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

from hypothesis.internal.conjecture import utils as conjecture_utils
from hypothesis_jsonschema import _from_schema, from_schema

__all__ = ["NEEDED", "from_schema"]

#: True where the installed Hypothesis' ``many`` has no ``more()`` (6.170.10 and later).
NEEDED = not hasattr(conjecture_utils.many, "more")


class _ManyWithMore:
    """``many`` as hypothesis-jsonschema drives it (``while elements.more(): ...``), on the ``with``/``for`` API."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._many: Any = conjecture_utils.many(*args, **kwargs)  # typed by whichever Hypothesis is installed
        self._elements: Iterator[None] = iter(self._many.__enter__())
        self._open = True

    def more(self) -> bool:
        """Whether to draw another element; the span closes when the answer is no."""
        if next(self._elements, False) is None:
            return True
        if self._open:
            self._open = False
            self._many.__exit__(None, None, None)
        return False

    def reject(self, why: str | None = None) -> None:
        """Do not count the element just drawn."""
        self._many.reject(why)


class _Utils(ModuleType):
    """Hypothesis' own ``conjecture.utils``, as hypothesis-jsonschema imports it, with ``many`` adapted."""

    many = _ManyWithMore

    def __getattr__(self, name: str) -> Any:
        return getattr(conjecture_utils, name)


if NEEDED and getattr(_from_schema, "cu", None) is conjecture_utils:
    setattr(_from_schema, "cu", _Utils(conjecture_utils.__name__))  # noqa: B010  # a private name, on purpose
