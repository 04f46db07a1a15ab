"""What the templates lay out: labelled values and the page's links.

Sections are built in Python (translated, formatted, escaped later by Jinja) so that the
templates only arrange them; each section module returns these small, frozen pieces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from api.pages.i18n import Messages
from ledger.queries.views import Party

#: Where the page links to; a route may override any of them.
DEFAULT_LINKS: dict[str, str] = {
    "document": "/documents/{cid}",  # a document by CID (harvest photo, declaration, lab report)
    "lang": "?lang={lang}",  # this page in another language (same path)
}


@dataclass(frozen=True)
class Field:
    """A labelled value; `href` makes it a link, `mono` marks an identifier, `iso` a moment,
    `note` is a smaller second line (a participant's GLN or licence, a document's CID)."""

    label: str
    value: str
    href: str | None = None
    mono: bool = False
    iso: str | None = None
    note: str | None = None


class Links:
    """The page's link targets from the route's templates (``DEFAULT_LINKS`` keys, plus an
    optional ``stall`` with ``{address}``)."""

    def __init__(self, links: Mapping[str, str] | None = None) -> None:
        self._links = {**DEFAULT_LINKS, **(links or {})}

    def document(self, cid: str) -> str:
        return self._links["document"].format(cid=quote(cid, safe=""))

    def lang(self, lang: str) -> str:
        return self._links["lang"].format(lang=quote(lang, safe=""))

    def stall(self, address: str) -> str | None:
        template = self._links.get("stall")
        return template.format(address=quote(address, safe="")) if template else None


def party_name(party: Party | None) -> str:
    """A participant's display name, or its shortened address when it has none."""
    if party is None:
        return ""
    return party.name or f"{party.address[:6]}…{party.address[-4:]}"


def document(label: str, cid: str | None, t: Messages, links: Links) -> list[Field]:
    """A link to a recorded document, its CID below, when there is one."""
    return [Field(label, t("open_document"), links.document(cid), note=cid)] if cid else []
