"""CIDs as the IPFS reference importer makes them, checked against ipfs-unixfs-importer itself."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multiformats import CID, multihash

from ledger.documents.cid import CHUNK_SIZE, CidBuilder, cid_of, cid_of_file, cid_of_stream, parse_cid
from ledger.documents.dagpb import Link, encode_file_node, varint
from ledger.errors import InvalidCid
from tests.factories.documents import CORPUS_SIZES, content

#: `ipfs add --cid-version=1 --raw-leaves` of an empty file, as kubo prints it.
EMPTY_FILE_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


@pytest.mark.parametrize("name", CORPUS_SIZES)
def test_cid_of_file_equals_reference_importer(
    name: str, corpus: dict[str, Path], reference_cids: dict[str, str]
) -> None:
    assert str(cid_of_file(corpus[name])) == reference_cids[name]


def test_cid_of_file_codec_is_raw_up_to_one_chunk_and_dag_pb_above(corpus: dict[str, Path]) -> None:
    for name, size in CORPUS_SIZES.items():
        cid = cid_of_file(corpus[name])
        assert cid.codec.name == ("raw" if size <= CHUNK_SIZE else "dag-pb"), name
        assert cid.version == 1
        assert cid.hashfun.name == "sha2-256"


def test_cid_of_one_chunk_is_the_plain_hash_and_above_it_is_not() -> None:
    one_chunk = content(CHUNK_SIZE)
    assert cid_of(one_chunk).raw_digest == hashlib.sha256(one_chunk).digest()
    two_chunks = content(CHUNK_SIZE + 1)
    assert cid_of(two_chunks).raw_digest != hashlib.sha256(two_chunks).digest()


def test_cid_of_empty_file_is_the_empty_raw_block() -> None:
    assert str(cid_of(b"")) == EMPTY_FILE_CID


@given(st.lists(st.integers(min_value=0, max_value=3 * CHUNK_SIZE), max_size=6))
def test_cid_builder_gives_the_same_cid_however_the_bytes_are_split(cuts: list[int]) -> None:
    data = content(2 * CHUNK_SIZE + 12_345)
    builder = CidBuilder()
    start = 0
    for cut in sorted(cut % (len(data) + 1) for cut in cuts):
        builder.update(data[start:cut])
        start = cut
    builder.update(data[start:])
    assert builder.finish() == cid_of(data)


def test_cid_of_stream_reads_to_the_end() -> None:
    data = content(CHUNK_SIZE * 3 + 7)
    assert cid_of_stream(io.BytesIO(data)) == cid_of(data)


def test_cid_builder_refuses_use_after_finish() -> None:
    builder = CidBuilder()
    builder.finish()
    with pytest.raises(RuntimeError):
        builder.update(b"late")
    with pytest.raises(RuntimeError):
        builder.finish()


def test_encode_file_node_writes_links_before_data_with_empty_names() -> None:
    leaf = bytes(cid_of(b"x"))
    block = encode_file_node([Link(leaf, tsize=1, filesize=1), Link(leaf, tsize=1, filesize=1)])
    link = b"\x0a" + varint(len(leaf)) + leaf + b"\x12\x00" + b"\x18\x01"
    unixfs = b"\x08\x02" + b"\x18\x02" + b"\x20\x01" + b"\x20\x01"
    assert block == (b"\x12" + varint(len(link)) + link) * 2 + b"\x0a" + varint(len(unixfs)) + unixfs


def test_encode_file_node_refuses_no_links() -> None:
    with pytest.raises(ValueError):
        encode_file_node([])


@pytest.mark.parametrize(("value", "encoded"), [(0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (262144, "808010")])
def test_varint_encodes_leb128(value: int, encoded: str) -> None:
    assert varint(value).hex() == encoded


def test_parse_cid_accepts_text_binary_and_other_bases() -> None:
    cid = cid_of(b"declaration")
    assert parse_cid(str(cid)) == cid
    assert parse_cid(bytes(cid)) == cid
    assert str(parse_cid(str(cid.set(base="base58btc")))) == str(cid)
    assert str(parse_cid(f"  {cid}\n")) == str(cid)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not-a-cid", "not a CID"),
        (b"\x01\x55", "not a CID"),
        ("QmRaaUwTNfwgFZpeUy8qrZwrp2dY4kCKmmB5xEqvH3vtD1", "CIDv0"),
        (str(CID("base32", 1, "raw", multihash.digest(b"x", "sha2-512"))), "sha2-512"),
        (str(CID("base32", 1, "dag-cbor", multihash.digest(b"x", "sha2-256"))), "dag-cbor"),
    ],
)
def test_parse_cid_rejects_what_freshledger_cannot_verify(value: str | bytes, reason: str) -> None:
    with pytest.raises(InvalidCid, match=reason):
        parse_cid(value)
