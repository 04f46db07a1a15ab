"""Documents by content address: active participants upload (customs declarations, lab
reports, harvest photos) and get the CID to record on-chain; anyone downloads by CID, and the
bytes are checked against the CID before they are sent.

A document's media type comes from the allow-list of :mod:`ledger.documents.media` (images,
PDF, plain text, JSON: 415 otherwise) and is fixed at its first upload: the same bytes
uploaded again with another type are 409 (``MediaTypeFixed``, naming the stored type), so
nobody re-labels someone else's document. Every answer under ``/documents`` is sandboxed
(``Content-Security-Policy: default-src 'none'; sandbox``, ``nosniff``, see
:mod:`api.headers`); only images and PDFs are shown inline, anything else is a download named
after its CID. A document recorded before the allow-list with a type now refused is sent as
``application/octet-stream``, as a download.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from api.deps import ActiveCallerDep, ServicesDep
from ledger.documents.cid import parse_cid
from ledger.documents.media import allowed_media_type, served_as

router = APIRouter(prefix="/documents", tags=["documents"])

#: Documents never change under a CID: a browser may keep one for good.
CACHE_CONTROL = "public, max-age=31536000, immutable"


@router.post("", status_code=201)
async def upload(
    request: Request,
    caller: ActiveCallerDep,
    content_type: Annotated[
        str, Header(description="the document's media type: image/jpeg, image/png, application/pdf, text/plain, ...")
    ],
) -> dict[str, str | int]:
    """Store the request body as a document; answer its CID (what the contract call takes).

    The body's size and time are bounded while it arrives (:mod:`api.limits`); hashing and
    storing run on a worker thread, so the event loop goes on answering scans meanwhile."""
    try:
        media_type = allowed_media_type(content_type)
    except ValueError as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"Content-Type: {exc}") from None
    chunks = [chunk async for chunk in request.stream()]
    body = b"".join(chunks)
    del chunks
    if not body:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the document is empty")
    cid = await run_in_threadpool(caller.services.documents.put, body, media_type)
    return {"cid": cid.encode("base32"), "media_type": media_type, "size": len(body)}


@router.get("/{cid}", responses={304: {"description": "the copy the client holds (If-None-Match) is current"}})
def download(cid: str, services: ServicesDep, request: Request) -> Response:
    """The document, verified against its CID, as the media type it was stored with (see the
    module for the types sent as downloads)."""
    store = services.documents
    canonical = parse_cid(cid).encode("base32")
    tag = f'"{canonical}"'
    info = store.info(canonical)
    served = served_as(info.media_type)
    disposition = "inline" if served.inline else "attachment"
    headers = {
        "Cache-Control": CACHE_CONTROL,
        "ETag": tag,
        # The name is the CID and an extension of the allow-list: nothing anyone chose.
        "Content-Disposition": f'{disposition}; filename="{canonical}{served.extension}"',
    }
    if _matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(store.get(canonical), media_type=served.media_type, headers=headers)


def _matches(if_none_match: str | None, tag: str) -> bool:
    if if_none_match is None:
        return False
    listed = {candidate.strip().removeprefix("W/") for candidate in if_none_match.split(",")}
    return "*" in listed or tag in listed
