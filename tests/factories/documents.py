"""Documents for the tests: reproducible contents, the size corpus, and tampering."""

from __future__ import annotations

import random
from pathlib import Path

from ledger.documents.cid import CHUNK_SIZE, MAX_LINKS

MIB = 1024 * 1024

#: Sizes whose CIDs must equal the reference importer's: empty, tiny, one partial chunk,
#: exactly one chunk, one byte into a second chunk, several chunks, exactly one full node
#: of 174 leaves (one level), one leaf more (two levels) and a file above 45 MiB (two levels).
CORPUS_SIZES = {
    "empty": 0,
    "six-bytes": 6,
    "100kB": 100_000,
    "256KiB": CHUNK_SIZE,
    "256KiB+1": CHUNK_SIZE + 1,
    "1MB": 1_000_000,
    "174-leaves": MAX_LINKS * CHUNK_SIZE,
    "175-leaves": MAX_LINKS * CHUNK_SIZE + 1,
    "45MiB+1": 45 * MIB + 1,
}


def content(size: int, seed: int = 0) -> bytes:
    """`size` reproducible pseudo-random bytes (incompressible, unlike zeros)."""
    return random.Random(f"{seed}:{size}").randbytes(size)


def flip_byte(path: Path, offset: int) -> None:
    """Change one byte of a stored file, as a careless editor or an attacker would."""
    path.chmod(0o644)
    with path.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0x01]))
