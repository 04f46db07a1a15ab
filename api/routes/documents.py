"""Documents by content address: participants upload (customs declarations, lab reports,
harvest photos) and get the CID to record on-chain; anyone downloads by CID, and the bytes
are checked against the CID before they are sent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, Response, status

from api.deps import CallerDep, ServicesDep
from ledger.documents.store import check_media_type

router = APIRouter(prefix="/documents", tags=["documents"])

#: Uploads are held in memory while hashed; a scanned declaration or a photo fits easily.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


@router.post("", status_code=201)
async def upload(
    request: Request,
    caller: CallerDep,
    content_type: Annotated[str, Header(description="the document's media type, e.g. application/pdf")],
) -> dict[str, str | int]:
    """Store the request body as a document; answer its CID (what the contract call takes)."""
    try:
        media_type = check_media_type(content_type)
    except ValueError as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc)) from None
    body = await request.body()
    if not body:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the document is empty")
    if len(body) > MAX_DOCUMENT_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"documents are limited to {MAX_DOCUMENT_BYTES} bytes")
    cid = caller.services.documents.put(body, media_type)
    return {"cid": cid.encode("base32"), "media_type": media_type, "size": len(body)}


@router.get("/{cid}")
def download(cid: str, services: ServicesDep) -> Response:
    """The document, verified against its CID, with the media type it was stored with."""
    store = services.documents
    data = store.get(cid)
    info = store.info(cid)
    return Response(
        data,
        media_type=info.media_type,
        headers={"Cache-Control": "public, max-age=31536000, immutable", "ETag": f'"{cid}"'},
    )
