"""The IPFS backend: an IPFS node (kubo, or js-ipfs in the tests) over its HTTP RPC API.

A thin httpx client on ``/api/v0/add``, ``cat``, ``pin/add``, ``pin/ls`` and ``files/stat``
(the requested ``ipfshttpclient`` 0.7 refuses every current daemon in ``connect()`` and is
unmaintained; httpx is already the project's HTTP client). Every ``add`` passes FreshLedger's
import settings explicitly, whatever the node's defaults, and the CID the node answers must
equal the one FreshLedger computes (:class:`~ledger.errors.CidMismatch` otherwise), so no CID
reaches the chain unless both agree. Every read is re-hashed before it is returned.

The node keeps bytes only: media types and sizes are recorded in ``meta_root`` (JSON
records, as the local store keeps them).

Example::

    with IpfsDocumentStore("/ip4/127.0.0.1/tcp/5001/http", data_dir() / "documents" / "ipfs") as store:
        cid = store.put(pdf_bytes, "application/pdf")   # added, pinned, CID checked
        store.get(cid)                                    # cat, re-hashed
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from multiformats import CID

from ledger.documents.address import api_url
from ledger.documents.cid import CHUNK_SIZE, HASH, CidBuilder, CidLike, cid_of, parse_cid, same_cid
from ledger.documents.sidecar import Sidecars
from ledger.documents.store import DEFAULT_MEDIA_TYPE, DocumentInfo, check_media_type
from ledger.errors import CidMismatch, DocumentIntegrityError, DocumentNotFound, InvalidCid, IpfsNodeError

#: `ipfs add --cid-version=1 --raw-leaves --chunker=size-262144` with the rest spelled out:
#: sha2-256, the balanced layout (not trickle), pinned, CIDs answered in base32.
ADD_SETTINGS = {
    "cid-version": "1",
    "raw-leaves": "true",
    "chunker": f"size-{CHUNK_SIZE}",
    "hash": HASH,
    "trickle": "false",
    "pin": "true",
    "progress": "false",
    "cid-base": "base32",
}
#: Seconds the node may take for one request: a missing document makes a networked node
#: search the swarm, and this bounds that search.
DEFAULT_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 5.0
#: How the nodes word "I do not have it" (kubo, js-ipfs): the RPC API has no error codes.
_NOT_FOUND_WORDS = ("not found", "could not find", "timed out", "deadline exceeded", "not pinned")


class IpfsDocumentStore:
    """A :class:`~ledger.documents.store.DocumentStore` on the IPFS node at `api`.

    `api` is a URL or multiaddr of the RPC API (see :func:`~ledger.documents.address.api_url`);
    `meta_root` the folder of the media-type records; `timeout` bounds each request;
    `transport` replaces httpx's network transport (unit tests of the pure logic only).
    """

    def __init__(
        self,
        api: str,
        meta_root: Path,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url(api)
        self.timeout = timeout
        self._sidecars = Sidecars(meta_root)
        self._client = httpx.Client(
            base_url=f"{self.api_url}/api/v0/",
            # The node-side `timeout` comes first; the HTTP one only catches a node that hangs.
            timeout=httpx.Timeout(timeout + CONNECT_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            transport=transport,
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def __enter__(self) -> IpfsDocumentStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def version(self) -> str:
        """The node's version (``/api/v0/version``): a cheap liveness check."""
        return str(self._json("version", {}).get("Version", "unknown"))

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
        stat = self._json("files/stat", {"arg": f"/ipfs/{expected}", **self._node_timeout()}, cid=expected)
        return DocumentInfo(cid=expected, media_type=DEFAULT_MEDIA_TYPE, size=int(stat["Size"]))

    def has(self, cid: CidLike) -> bool:
        """Whether the node keeps the document pinned (answered from its pin set, no search)."""
        expected = parse_cid(cid)
        try:
            self._json("pin/ls", {"arg": str(expected), "type": "recursive", **self._node_timeout()}, cid=expected)
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
        params = {"arg": str(expected), "recursive": "true", **self._node_timeout()}
        answer = self._json("pin/add", params, cid=expected)
        pinned = [parse_cid(text) for text in answer.get("Pins") or []]
        if not any(same_cid(expected, cid) for cid in pinned):
            raise IpfsNodeError(f"pin/add {expected} answered {answer!r}: the document is not pinned")

    def _add(self, data: bytes) -> str:
        """POST ``add`` with FreshLedger's settings; the node's CID for the file, as text."""
        files = {"file": ("document", data, "application/octet-stream")}
        response = self._request("add", ADD_SETTINGS, files=files)
        entries = [json.loads(line) for line in response.text.splitlines() if line.strip()]
        hashes = [str(entry["Hash"]) for entry in entries if "Hash" in entry]
        if not hashes:
            raise IpfsNodeError(f"add on {self.api_url} answered no CID: {response.text[:200]!r}")
        return hashes[-1]

    def _cat(self, cid: CID) -> tuple[bytes, CID]:
        """The bytes the node returns for `cid` and the CID they hash to, in one pass."""
        builder = CidBuilder()
        data = bytearray()
        with self._streaming("cat", {"arg": str(cid), **self._node_timeout()}, cid=cid) as response:
            for piece in response.iter_bytes():
                builder.update(piece)
                data += piece
        return bytes(data), builder.finish()

    def _node_timeout(self) -> dict[str, str]:
        """The node-side bound of one request (kubo and js-ipfs both take `timeout=Ns`)."""
        return {"timeout": f"{max(1, round(self.timeout))}s"}

    def _json(self, path: str, params: dict[str, str], *, cid: CID | None = None) -> dict[str, Any]:
        response = self._request(path, params, cid=cid)
        try:
            return dict(response.json())
        except ValueError as exc:
            raise IpfsNodeError(f"{path} on {self.api_url} answered no JSON: {response.text[:200]!r}") from exc

    def _request(
        self, path: str, params: dict[str, str], *, files: dict[str, Any] | None = None, cid: CID | None = None
    ) -> httpx.Response:
        """One RPC call (every RPC call is a POST); node errors become FreshLedger errors."""
        try:
            response = self._client.post(path, params=params, files=files)
        except httpx.TimeoutException as exc:
            raise IpfsNodeError(f"the IPFS node at {self.api_url} did not answer {path} in time: {exc}") from exc
        except httpx.HTTPError as exc:
            raise IpfsNodeError(f"cannot reach the IPFS node at {self.api_url} ({path}): {exc}") from exc
        if response.status_code != httpx.codes.OK:
            self._raise_refusal(path, response.status_code, response.text, cid)
        return response

    @contextmanager
    def _streaming(self, path: str, params: dict[str, str], *, cid: CID) -> Iterator[httpx.Response]:
        """Like :meth:`_request`, with the body read as it arrives."""
        try:
            with self._client.stream("POST", path, params=params) as response:
                if response.status_code != httpx.codes.OK:
                    self._raise_refusal(path, response.status_code, response.read().decode(errors="replace"), cid)
                yield response
        except httpx.TimeoutException as exc:
            raise IpfsNodeError(f"the IPFS node at {self.api_url} did not answer {path} in time: {exc}") from exc
        except httpx.HTTPError as exc:
            raise IpfsNodeError(f"cannot reach the IPFS node at {self.api_url} ({path}): {exc}") from exc

    def _raise_refusal(self, path: str, status: int, body: str, cid: CID | None) -> None:
        try:
            message = str(json.loads(body).get("Message", body))
        except (ValueError, AttributeError):
            message = body
        message = message.strip()[:300]
        if cid is not None and any(words in message.lower() for words in _NOT_FOUND_WORDS):
            raise DocumentNotFound(cid, f"the IPFS node at {self.api_url} answered {path}: {message}")
        raise IpfsNodeError(f"the IPFS node at {self.api_url} refused {path} (HTTP {status}): {message}")
