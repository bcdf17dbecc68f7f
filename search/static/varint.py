"""LEB128 varints laid out with numpy: every integer of the static index is one.

A varint holds 7 bits a byte, low bits first, the high bit set on every byte but the
last (what ``search-static.js`` reads). Values here are non-negative and below 2**63.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sizes(values: Any) -> Any:
    """Bytes of each value's varint (int64)."""
    v = np.asarray(values, dtype=np.uint64)
    out = np.ones(v.shape, dtype=np.int64)
    limit = np.uint64(1 << 7)
    for _ in range(9):
        more = v >= limit
        if not more.any():
            break
        out += more
        if limit >= np.uint64(1 << 56):
            break
        limit = limit << np.uint64(7)
    return out


def encode(values: Any) -> bytes:
    """The varints of ``values``, one after the other."""
    v = np.asarray(values, dtype=np.uint64)
    size = sizes(v)
    out = np.empty(int(size.sum()), dtype=np.uint8)
    put(out, np.cumsum(size) - size, v, size)
    return out.tobytes()


def put(out: Any, at: Any, values: Any, size: Any) -> None:
    """Write the varints of ``values`` (of byte sizes ``size``) at offsets ``at``."""
    v = np.asarray(values, dtype=np.uint64).copy()
    at = np.asarray(at, dtype=np.int64)
    for i in range(int(size.max()) if size.size else 0):
        live = size > i
        byte = (v[live] & np.uint64(0x7F)).astype(np.uint8)
        byte |= np.where(size[live] > i + 1, np.uint8(0x80), np.uint8(0)).astype(np.uint8)
        out[at[live] + i] = byte
        v[live] >>= np.uint64(7)


def decode(data: bytes) -> list[int]:
    """All varints of ``data`` (for tests and incremental reading)."""
    out: list[int] = []
    value = shift = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            out.append(value)
            value = shift = 0
    return out
