"""LEB128 varints laid out with numpy: every integer of the static index is one.

A varint holds 7 bits a byte, low bits first, the high bit set on every byte but the
last (what ``search-static.js`` reads). Values here are non-negative and below 2**63.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sizes(values: Any) -> Any:
    """Bytes of each value's varint (int64)."""
    v = np.asarray(values)
    if v.dtype.kind not in "ui":
        v = v.astype(np.uint64)
    out = np.ones(v.shape, dtype=np.int64)
    top = int(v.max()) if v.size else 0
    shift = 7
    while shift < 64 and top >> shift:
        out += v >= (1 << shift)
        shift += 7
    return out


def encode(values: Any) -> bytes:
    """The varints of ``values``, one after the other."""
    v = np.asarray(values)
    if v.dtype.kind not in "ui":
        v = v.astype(np.uint64)
    size = sizes(v)
    out = np.empty(int(size.sum()), dtype=np.uint8)
    put(out, np.cumsum(size) - size, v, size)
    return out.tobytes()


def put(out: Any, at: Any, values: Any, size: Any) -> None:
    """Write the varints of ``values`` (of byte sizes ``size``) at offsets ``at``."""
    v = np.asarray(values)
    if v.dtype.kind == "i":
        v = v.astype(np.uint64 if v.dtype.itemsize > 4 else np.uint32)
    low = (v & 0x7F).astype(np.uint8)
    low |= (size > 1).astype(np.uint8) << 7
    out[at] = low
    live = np.flatnonzero(size > 1)
    i = 1
    while live.size:
        rest = v[live] >> (7 * i)
        byte = (rest & 0x7F).astype(np.uint8)
        byte |= (size[live] > i + 1).astype(np.uint8) << 7
        out[at[live] + i] = byte
        live = live[size[live] > i + 1]
        i += 1


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
