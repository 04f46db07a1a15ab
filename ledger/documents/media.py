"""Which media types a document may have, and how a stored one is served.

Documents are uploaded by participants and downloaded by anyone from the market's own
origin, so a type a browser would run (HTML, SVG, XML, scripts) would be stored script on the
domain of the shopper pages. The allow-list keeps to what the market's documents are:
photos, scans, PDFs, plain text and JSON. Only images and PDFs are shown inline; the rest is
offered as a download. A document recorded earlier with a type now refused is served as
``application/octet-stream``, as a download.

Example::

    allowed_media_type("Application/PDF")       # "application/pdf"
    allowed_media_type("text/html")             # MediaTypeNotAllowed, naming the allowed list
    served_as("text/html")                      # Served("application/octet-stream", inline=False, ...)
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.documents.store import DEFAULT_MEDIA_TYPE, check_media_type


@dataclass(frozen=True)
class DocumentKind:
    """How a document of one media type is offered: the file name's extension, and whether
    a browser may show it in place (images and PDFs) or must download it."""

    extension: str
    inline: bool


#: The media types a document may have (type/subtype, lower-case).
DOCUMENT_MEDIA_TYPES: dict[str, DocumentKind] = {
    "image/jpeg": DocumentKind(".jpg", inline=True),
    "image/png": DocumentKind(".png", inline=True),
    "image/webp": DocumentKind(".webp", inline=True),
    "image/gif": DocumentKind(".gif", inline=True),
    "image/avif": DocumentKind(".avif", inline=True),
    "image/heic": DocumentKind(".heic", inline=True),
    "application/pdf": DocumentKind(".pdf", inline=True),
    "text/plain": DocumentKind(".txt", inline=False),
    "application/json": DocumentKind(".json", inline=False),
}
#: Text types may say their charset; only UTF-8 (or its ASCII subset) is taken.
TEXT_TYPES = ("text/plain", "application/json")
CHARSETS = ("utf-8", "us-ascii")
#: What an unknown or refused stored type is served as.
DOWNLOAD = DocumentKind(".bin", inline=False)


class MediaTypeNotAllowed(ValueError):
    """A well-formed media type that no document may have."""


def allowed_list() -> str:
    """The allowed media types, for messages: ``image/jpeg, image/png, ...``."""
    return ", ".join(DOCUMENT_MEDIA_TYPES)


def allowed_media_type(media_type: str) -> str:
    """`media_type` normalised when a document may have it; else ValueError (malformed) or
    :class:`MediaTypeNotAllowed` (naming the allowed list)."""
    normalised = check_media_type(media_type)
    essence, _, parameters = (part.strip() for part in normalised.partition(";"))
    if essence not in DOCUMENT_MEDIA_TYPES:
        raise MediaTypeNotAllowed(f"documents may not be {essence}; allowed: {allowed_list()}")
    if not parameters:
        return essence
    name, _, value = parameters.partition("=")
    charset = value.strip().strip('"').lower()
    if essence not in TEXT_TYPES or name.strip().lower() != "charset" or ";" in value or charset not in CHARSETS:
        raise MediaTypeNotAllowed(f"{essence} takes no parameter but charset=utf-8: {parameters!r}")
    return f"{essence}; charset={charset}"


def is_allowed(media_type: str) -> bool:
    """Whether a document may have `media_type` (as recorded in a store)."""
    try:
        allowed_media_type(media_type)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Served:
    """What a stored document is sent as: its media type, inline or as a download, and the
    extension of the file name offered (the name itself is the CID: nothing a user chose)."""

    media_type: str
    inline: bool
    extension: str


def served_as(stored: str) -> Served:
    """How to send a document recorded as `stored`: its own type when allowed, else
    ``application/octet-stream`` as a download (documents recorded before the allow-list)."""
    try:
        media_type = allowed_media_type(stored)
    except ValueError:
        return Served(DEFAULT_MEDIA_TYPE, DOWNLOAD.inline, DOWNLOAD.extension)
    kind = DOCUMENT_MEDIA_TYPES[media_type.partition(";")[0]]
    return Served(media_type, kind.inline, kind.extension)
