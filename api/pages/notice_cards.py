"""Notices as the screens show them: the title and body in the page's language (else the
first language given), until when, and what they concern. Built from the index's rows and
the texts in the document store (:class:`ledger.notices.publish.DocumentCache`); a notice
whose text cannot be read is left out, not shown half."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from api.pages.formats import Formatter
from api.pages.i18n import Messages
from api.pages.stall_names import describe_stall
from ledger.notices.publish import DocumentCache
from ledger.queries.notices import NoticeRow


@dataclass(frozen=True)
class NoticeCard:
    title: str
    body: str
    lang: str  # the language the text is in (may differ from the page's)
    until: str
    until_iso: str
    concerns: list[str]
    cid: str
    tx_hash: str


def notice_cards(
    rows: Iterable[NoticeRow],
    texts: DocumentCache,
    t: Messages,
    fmt: Formatter,
    *,
    lots: Mapping[str, str] | None = None,
    stalls: Mapping[str, str] | None = None,
) -> list[NoticeCard]:
    """`rows` with their texts in `t`'s language; `lots` names batch ids (lot codes) and
    `stalls` stall addresses (registered names) for the "concerns" line."""
    cards = []
    for row in rows:
        text = texts.notice(row.cid)
        if text is None:
            continue
        lang = t.lang if t.lang in text.title else next(iter(text.title))
        concerns = []
        if row.batch_id:
            concerns.append(t("notice_about_lot", lot=(lots or {}).get(row.batch_id, row.batch_id[:10])))
        if row.stall:
            named = describe_stall((stalls or {}).get(row.stall, row.stall))
            concerns.append(t("notice_about_stall", stall=named.place or named.sign))
        cards.append(
            NoticeCard(
                title=text.title_in(lang),
                body=text.body_in(lang),
                lang=lang,
                until=t("notice_until", time=fmt.datetime(row.valid_until)),
                until_iso=fmt.iso(row.valid_until),
                concerns=concerns,
                cid=row.cid,
                tx_hash=row.tx_hash,
            )
        )
    return cards
