"""A tiny PNG writer (8-bit RGB, no interlace) on the standard library: zlib + struct.

Enough for the coverage heat map; no image dependency for a picture of 7 coloured rows.
"""
from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(width: int, height: int, rows: Iterable[bytes]) -> bytes:
    """`rows`: `height` rows of `width` RGB pixels, 3 bytes each."""
    raw = bytearray()
    count = 0
    for row in rows:
        if len(row) != width * 3:
            raise ValueError(f"row {count} has {len(row)} bytes, expected {width * 3}")
        raw += b"\x00" + row  # filter type 0 (None) per scanline
        count += 1
    if count != height:
        raise ValueError(f"{count} rows, expected {height}")
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour
    return (SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
            + _chunk(b"IEND", b""))


def write_png(path: str | Path, width: int, height: int, rows: Iterable[bytes]) -> Path:
    path = Path(path)
    path.write_bytes(encode_png(width, height, rows))
    return path
