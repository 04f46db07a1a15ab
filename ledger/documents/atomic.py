"""Write a file so that readers see the old content or the new, never a part."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path


def write_atomic(path: Path, chunks: Iterable[bytes], mode: int = 0o644) -> None:
    """Write `chunks` to a temporary file beside `path`, flush it to disk, then rename it over
    `path` (atomic on POSIX within one file system) and flush the folder entry too."""
    _write_then(path, chunks, mode, os.replace)


def create_atomic(path: Path, chunks: Iterable[bytes], mode: int = 0o644) -> bool:
    """Like :func:`write_atomic`, but only when `path` does not exist yet: False (and nothing
    written) when it does. The hard link fails rather than replace, so of two writers racing
    for the same path exactly one wins."""
    try:
        _write_then(path, chunks, mode, os.link)
    except FileExistsError:
        return False
    return True


def _write_then(path: Path, chunks: Iterable[bytes], mode: int, place: Callable[[str, Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        place(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)  # gone after a rename; the second name after a link
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
