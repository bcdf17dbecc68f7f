"""LEB128 varints laid out with numpy: every integer of the static index is one.

A varint holds 7 bits a byte, low bits first, the high bit set on every byte but the
last (what ``search-static.js`` reads). Values here are non-negative and below 2**63.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Values encoded at a time by :func:`encode_array` (bounds its scratch arrays).
CHUNK = 1 << 22


def sizes(values: Any) -> Any:
    """Bytes of each value's varint (uint8)."""
    v = _unsigned(values)
    out = np.ones(v.shape, dtype=np.uint8)
    top = int(v.max()) if v.size else 0
    shift = 7
    while shift < 64 and top >> shift:
        out += v >= (1 << shift)
        shift += 7
    return out


def encode(values: Any) -> bytes:
    """The varints of ``values``, one after the other."""
    v = _unsigned(values)
    return encode_array(v, sizes(v)).tobytes()


def encode_array(values: Any, size: Any) -> Any:
    """The varints of ``values`` (of byte sizes ``size``, uint8) as a uint8 array, a
    chunk of values at a time, each written in place into the one output array."""
    v = _unsigned(values)
    ends = np.cumsum(size, dtype=np.int64)
    out = np.empty(int(ends[-1]) if ends.size else 0, dtype=np.uint8)
    for at in range(0, v.size, CHUNK):
        _encode_chunk(v[at : at + CHUNK], size[at : at + CHUNK], ends[at : at + CHUNK], out)
    return out


def _encode_chunk(v: Any, size: Any, ends: Any, out: Any) -> None:
    """Write the varints of ``v`` into ``out``, each ending before its ``ends``."""
    at = ends - size  # each varint's first byte
    more = size > 1
    low = v.astype(np.uint8)
    low &= 0x7F
    low |= more.view(np.uint8) << 7
    out[at] = low
    live = np.flatnonzero(more)
    i = 1
    while live.size:
        byte = (v[live] >> (7 * i)).astype(np.uint8)
        byte &= 0x7F
        more = size[live] > i + 1
        byte |= more.view(np.uint8) << 7
        out[at[live] + i] = byte
        live = live[more]
        i += 1


def _unsigned(values: Any) -> Any:
    v = np.asarray(values)
    if v.dtype.kind == "u":
        return v
    if v.dtype.kind == "i":
        return v.astype(np.uint64 if v.dtype.itemsize > 4 else np.uint32)
    return v.astype(np.uint64)


def decode(data: bytes) -> list[int]:
    """All varints of ``data`` (for tests and incremental reading)."""
    return decode_array(data).tolist()


def decode_array(data: Any) -> Any:
    """All varints of ``data`` (bytes or a uint8 array) as a uint64 array."""
    raw = data if isinstance(data, np.ndarray) else np.frombuffer(data, dtype=np.uint8)
    if not raw.size:
        return np.zeros(0, dtype=np.uint64)
    last = raw < 0x80  # the last byte of each varint
    if last.all():
        return raw.astype(np.uint64)
    ends = np.flatnonzero(last)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    which = np.cumsum(last) - last  # each byte's varint
    shift = (np.arange(raw.size) - starts[which]).astype(np.uint64) * np.uint64(7)
    parts = (raw & 0x7F).astype(np.uint64) << shift
    return np.add.reduceat(parts, starts)


def ends(data: Any) -> Any:
    """The byte offset just past each varint of ``data`` (a uint8 array)."""
    return np.flatnonzero(data < 0x80) + 1
