"""The IPFS backend: an IPFS node (kubo, or js-ipfs in the tests) over its HTTP RPC API,
spoken through ``ipfshttpclient`` (``add``, ``cat``, ``pin/add``, ``pin/ls``, ``files/stat``,
``version``).

The client is constructed directly (``ipfshttpclient.Client(addr)``): ``connect()`` checks
the daemon's version against a range that ends at 0.8 and so refuses every current kubo and
js-ipfs. Every ``add`` passes FreshLedger's import settings explicitly, whatever the node's
defaults, and the CID the node answers must equal the one FreshLedger computes
(:class:`~ledger.errors.CidMismatch` otherwise), so no CID reaches the chain unless both
agree. Every read is streamed and re-hashed before it is returned.

The node keeps bytes only: media types and sizes are recorded in ``meta_root`` (JSON
records, as the local store keeps them).

Example::

    with IpfsDocumentStore("/ip4/127.0.0.1/tcp/5001/http", data_dir() / "documents" / "ipfs") as store:
        cid = store.put(pdf_bytes, "application/pdf")   # added, pinned, CID checked
        store.get(cid)                                    # cat, re-hashed
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import ipfshttpclient
from ipfshttpclient import exceptions as rpc
from multiformats import CID

from ledger.documents.address import api_multiaddr, api_url
from ledger.documents.cid import CHUNK_SIZE, HASH, CidBuilder, CidLike, cid_of, parse_cid, same_cid
from ledger.documents.sidecar import Sidecars
from ledger.documents.store import DEFAULT_MEDIA_TYPE, DocumentInfo, check_media_type
from ledger.errors import CidMismatch, DocumentIntegrityError, DocumentNotFound, InvalidCid, IpfsNodeError

#: `ipfs add --cid-version=1 --raw-leaves --chunker=size-262144` with the rest spelled out:
#: the balanced layout (not trickle), pinned; ``add``'s own keywords.
ADD_KEYWORDS: dict[str, Any] = {
    "cid_version": 1,
    "raw_leaves": True,
    "chunker": f"size-{CHUNK_SIZE}",
    "trickle": False,
    "pin": True,
}
#: The settings ``add`` has no keyword for, passed as RPC options: sha2-256, no progress
#: lines, CIDs answered in base32.
ADD_OPTIONS = {"hash": HASH, "progress": "false", "cid-base": "base32"}
#: Every import setting as the RPC API receives it (query parameters of ``/api/v0/add``;
#: ipfshttpclient writes booleans as ``True``/``False``, which kubo and js-ipfs both read).
ADD_SETTINGS = {
    **{name.replace("_", "-"): str(value) for name, value in ADD_KEYWORDS.items()},
    **ADD_OPTIONS,
}
#: Seconds the node may take for one request: a missing document makes a networked node
#: search the swarm, and this bounds that search.
DEFAULT_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 5.0
#: How the nodes word "I do not have it" (kubo, js-ipfs): the RPC API has no error codes.
_NOT_FOUND_WORDS = ("not found", "could not find", "timed out", "deadline exceeded", "not pinned")

T = TypeVar("T")


class IpfsDocumentStore:
    """A :class:`~ledger.documents.store.DocumentStore` on the IPFS node at `api`.

    `api` is a URL or multiaddr of the RPC API (see :func:`~ledger.documents.address.api_url`);
    `meta_root` the folder of the media-type records; `timeout` bounds each request;
    `transport` replaces httpx's network transport (unit tests of the pure logic only).
    """

    def __init__(self, api: str, meta_root: Path, *, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.api_url = api_url(api)
        self.timeout = timeout
        self._sidecars = Sidecars(meta_root)
        # No session: the store serves the API's worker threads, and a requests session is not
        # meant to be shared between threads (a loopback connection per call costs little).
        self._client = ipfshttpclient.Client(
            api_multiaddr(api),
            # The node-side `timeout` comes first; the HTTP one only catches a node that hangs.
            timeout=(CONNECT_TIMEOUT_S, timeout + CONNECT_TIMEOUT_S),
        )

    def close(self) -> None:
        """Close the client."""
        self._client.close()

    def __enter__(self) -> IpfsDocumentStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def version(self) -> str:
        """The node's version (``/api/v0/version``): a cheap liveness check."""
        answer = self._call("version", lambda: self._client.version())
        return str(answer.get("Version", "unknown"))

    def put(self, data: bytes, media_type: str) -> CID:
        """Add and pin `data` on the node; raise :class:`CidMismatch` unless the node's CID is ours,
        :class:`~ledger.errors.MediaTypeFixed` (nothing added) when it is recorded with another type."""
        media_type = check_media_type(media_type)
        expected = cid_of(data)
        self._sidecars.check_first(DocumentInfo(cid=expected, media_type=media_type, size=len(data)))
        answer = self._add(data)
        try:
            actual = parse_cid(answer)
        except InvalidCid:
            raise CidMismatch(expected, answer) from None
        if not same_cid(expected, actual):
            raise CidMismatch(expected, actual)
        self._sidecars.keep_first(DocumentInfo(cid=expected, media_type=media_type, size=len(data)))
        return expected

    def get(self, cid: CidLike) -> bytes:
        """``cat`` the document, hashing it as it arrives; the bytes only when they match `cid`."""
        expected = parse_cid(cid)
        data, actual = self._cat(expected)
        if not same_cid(expected, actual):
            raise DocumentIntegrityError(expected, actual)
        return data

    def info(self, cid: CidLike) -> DocumentInfo:
        """The recorded media type and size, else octet-stream and the node's ``files/stat`` size."""
        expected = parse_cid(cid)
        recorded = self._sidecars.read(expected)
        if recorded is not None:
            return recorded
        stat = self._call(
            "files/stat", lambda: self._client.files.stat(f"/ipfs/{expected}", opts=self._node_timeout()), expected
        )
        return DocumentInfo(cid=expected, media_type=DEFAULT_MEDIA_TYPE, size=int(stat["Size"]))

    def has(self, cid: CidLike) -> bool:
        """Whether the node keeps the document pinned (answered from its pin set, no search)."""
        expected = parse_cid(cid)
        try:
            options = self._node_timeout()
            self._call("pin/ls", lambda: self._client.pin.ls(str(expected), type="recursive", opts=options), expected)
        except DocumentNotFound:
            return False
        return True

    def verify(self, cid: CidLike) -> DocumentInfo:
        """Fetch the document from the node and re-hash it."""
        expected = parse_cid(cid)
        data = self.get(expected)
        recorded = self._sidecars.read(expected)
        return DocumentInfo(
            cid=expected, media_type=recorded.media_type if recorded else DEFAULT_MEDIA_TYPE, size=len(data)
        )

    def pin(self, cid: CidLike) -> None:
        """``pin/add`` the document (recursively: the root and every block under it)."""
        expected = parse_cid(cid)
        answer = self._call(
            "pin/add", lambda: self._client.pin.add(str(expected), recursive=True, opts=self._node_timeout()), expected
        )
        pinned = [parse_cid(text) for text in answer.get("Pins") or []]
        if not any(same_cid(expected, cid) for cid in pinned):
            raise IpfsNodeError(f"pin/add {expected} answered {answer!r}: the document is not pinned")

    def _add(self, data: bytes) -> str:
        """``add`` with FreshLedger's settings; the node's CID for the file, as text."""
        answer = self._call("add", lambda: self._client.add(io.BytesIO(data), **ADD_KEYWORDS, opts=dict(ADD_OPTIONS)))
        entries = answer if isinstance(answer, list) else [answer]
        hashes = [str(entry["Hash"]) for entry in entries if "Hash" in entry]
        if not hashes:
            raise IpfsNodeError(f"add on {self.api_url} answered no CID: {str(answer)[:200]!r}")
        return hashes[-1]

    def _cat(self, cid: CID) -> tuple[bytes, CID]:
        """The bytes the node returns for `cid` and the CID they hash to, in one pass."""
        builder = CidBuilder()
        data = bytearray()
        with (
            self._translated("cat", cid),
            self._client.cat(str(cid), stream=True, opts=self._node_timeout()) as pieces,
        ):
            for piece in pieces:
                builder.update(piece)
                data += piece
        return bytes(data), builder.finish()

    def _node_timeout(self) -> dict[str, str]:
        """The node-side bound of one request (kubo and js-ipfs both take `timeout=Ns`)."""
        return {"timeout": f"{max(1, round(self.timeout))}s"}

    def _call(self, path: str, call: Callable[[], T], cid: CID | None = None) -> T:
        """One RPC call; the client's errors become FreshLedger errors."""
        with self._translated(path, cid):
            return call()

    @contextmanager
    def _translated(self, path: str, cid: CID | None) -> Iterator[None]:
        """Node errors raised inside the block (a streamed body's too) as FreshLedger errors:
        :class:`DocumentNotFound` when the node does not have `cid`, else :class:`IpfsNodeError`."""
        try:
            yield
        except rpc.TimeoutError as exc:
            raise IpfsNodeError(f"the IPFS node at {self.api_url} did not answer {path} in time: {exc}") from exc
        except rpc.ConnectionError as exc:
            raise IpfsNodeError(f"cannot reach the IPFS node at {self.api_url} ({path}): {exc}") from exc
        except rpc.StatusError as exc:
            self._raise_refusal(path, exc, cid)
        except rpc.Error as exc:
            raise IpfsNodeError(f"the IPFS node at {self.api_url} answered {path} unreadably: {exc}") from exc

    def _raise_refusal(self, path: str, exc: rpc.StatusError, cid: CID | None) -> None:
        response = getattr(exc.original, "response", None)
        status = getattr(response, "status_code", "?")
        message = str(exc) if isinstance(exc, rpc.ErrorResponse) else getattr(response, "text", "") or str(exc)
        message = message.strip()[:300]
        if cid is not None and any(words in message.lower() for words in _NOT_FOUND_WORDS):
            raise DocumentNotFound(cid, f"the IPFS node at {self.api_url} answered {path}: {message}") from exc
        raise IpfsNodeError(f"the IPFS node at {self.api_url} refused {path} (HTTP {status}): {message}") from exc
