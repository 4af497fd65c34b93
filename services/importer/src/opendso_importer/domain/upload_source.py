"""An upload's content as the readers take it: bytes held in memory, or a file on disk read a chunk at a time.

A file sent inline with a command (the batch API, tests) is bytes; a file that came through the object
store is downloaded to a temporary file and read from there, so that a million-row upload is never held
whole in memory (nor twice, as bytes and as text).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

Source = bytes | Path

CHUNK_BYTES = 1 << 20


def size_of(source: Source) -> int:
    return len(source) if isinstance(source, bytes) else source.stat().st_size


def head(source: Source, count: int) -> bytes:
    """The first ``count`` bytes (fewer when the content is shorter)."""
    if isinstance(source, bytes):
        return source[:count]
    with source.open("rb") as file:
        return file.read(count)


def chunks(source: Source, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The content in pieces of at most ``size`` bytes, in order."""
    if isinstance(source, bytes):
        for start in range(0, len(source), size):
            yield source[start : start + size]
        return
    with source.open("rb") as file:
        while piece := file.read(size):
            yield piece


def whole(source: Source) -> bytes:
    """The content in memory: for the readers that cannot stream (a legacy code page picked by plausibility,
    UTF-16, JSON, a bank statement's XML)."""
    return source if isinstance(source, bytes) else source.read_bytes()


def binary(source: Source) -> BinaryIO:
    """A binary stream over the content, to be read once; the caller's to close (or let go)."""
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def sha256_hex(source: Source) -> str:
    digest = hashlib.sha256()
    for piece in chunks(source):
        digest.update(piece)
    return digest.hexdigest()


def is_blank(source: Source, *, after: bytes = b"") -> bool:
    """Whether the content is empty or only whitespace, once the prefix ``after`` (a BOM) is skipped."""
    first = True
    for piece in chunks(source):
        if first:
            piece = piece.removeprefix(after)
            first = False
        if piece and not piece.isspace():
            return False
    return True
