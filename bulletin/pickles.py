"""Pickles the build writes for itself (the cache state, rendered bodies) and reads back
without trusting them: an unpickler that builds only the classes a caller allows."""

from __future__ import annotations

import io
import pickle
from collections.abc import Set
from typing import IO, Any

#: Classes any of the build's pickles may hold.
PLAIN = frozenset(
    {
        ("bulletin.markup", "Rendered"),
        ("bulletin.problems", "Problem"),
        ("datetime", "date"),
        ("builtins", "frozenset"),
        ("builtins", "set"),
    }
)


class _Unpickler(pickle.Unpickler):
    def __init__(self, stream: IO[bytes], allowed: Set[tuple[str, str]]) -> None:
        super().__init__(stream)
        self.allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.allowed:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed here")
        return super().find_class(module, name)


def load(stream: IO[bytes], allowed: Set[tuple[str, str]] = PLAIN) -> Any:
    """One pickle from ``stream``, refusing any class outside ``allowed``."""
    return _Unpickler(stream, allowed).load()


def loads(data: bytes, allowed: Set[tuple[str, str]] = PLAIN) -> Any:
    return load(io.BytesIO(data), allowed)


def dumps(value: Any) -> bytes:
    """``value`` pickled without a memo: the build's states share no objects, and
    tracking every one of ~500,000 objects took half the time of writing them."""
    stream = io.BytesIO()
    pickler = pickle.Pickler(stream, protocol=5)
    pickler.fast = True
    pickler.dump(value)
    return stream.getvalue()


#: What reading one of these pickles may raise when the file is damaged or foreign.
DAMAGED = (
    OSError,
    EOFError,
    pickle.UnpicklingError,
    AttributeError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    ImportError,
)
