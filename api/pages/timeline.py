"""Every step of a sale's history as the shopper reads it: what happened, when, to which lot,
who did it and the step's own facts. One step per event, in chain order, except that the
parents of one merge, and the lots of one recall, make one step each (one transaction)."""

from __future__ import annotations

from dataclasses import dataclass

from api.pages.blocks import Field, Links, document, party_name
from api.pages.formats import Formatter
from api.pages.i18n import Messages
from ledger.queries.views import CustodyChain, TimelineEvent

#: Kinds whose events of one transaction are one step for a shopper.
_GROUPED = ("merged", "recalled")


@dataclass(frozen=True)
class Step:
    kind: str  # TimelineEvent.kind
    title: str
    when: str
    iso: str
    lots: list[str]
    fields: list[Field]
    tone: str  # origin, ok, alert, sale or plain: the colour of the step's marker


def timeline(chain: CustodyChain, t: Messages, fmt: Formatter, links: Links) -> list[Step]:
    """The steps of `chain`, oldest first."""
    return [_step(group, t, fmt, links, chain.batch.unit) for group in _groups(chain.events)]


def _groups(events: list[TimelineEvent]) -> list[list[TimelineEvent]]:
    groups: list[list[TimelineEvent]] = []
    for event in events:
        last = groups[-1][-1] if groups else None
        same_step = (
            last is not None
            and event.kind in _GROUPED
            and (last.kind, last.tx_hash) == (event.kind, event.tx_hash)
            and (event.kind != "merged" or last.batch_id == event.batch_id)
        )
        if same_step:
            groups[-1].append(event)
        else:
            groups.append([event])
    return groups


def _step(group: list[TimelineEvent], t: Messages, fmt: Formatter, links: Links, unit: str) -> Step:
    event = group[0]
    details = event.details
    actor, other = party_name(event.actor), party_name(event.counterparty)
    fields: list[Field]
    tone = "plain"
    match event.kind:
        case "harvested":
            place = fmt.place(details["origin"])
            fields = [
                Field(t("farm"), actor),
                Field(t("place"), place.text, place.href),
                Field(t("harvest_date"), fmt.date(details["harvested_at"]), iso=fmt.iso(details["harvested_at"])),
                Field(t("quantity"), fmt.quantity(details["quantity"], details["unit"])),
                *document(t("harvest_photo"), details.get("document_cid"), t, links),
            ]
            tone = "origin"
        case "imported":
            fields = [
                Field(t("importer"), other),
                Field(t("customs"), actor),
                Field(t("country"), fmt.country(details["origin_country"])),
                *([Field(t("hs_code"), fmt.hs_code(details["hs_code"]), mono=True)] if details.get("hs_code") else []),
                Field(t("declaration_number"), details["declaration_number"], mono=True),
                Field(t("cleared_on"), fmt.date(details["cleared_at"]), iso=fmt.iso(details["cleared_at"])),
                Field(t("quantity"), fmt.quantity(details["quantity"], details["unit"])),
                *document(t("customs_declaration"), details.get("document_cid"), t, links),
            ]
            tone = "origin"
        case "shipped" | "received" | "cancelled":
            fields = [Field(t("sender"), actor), Field(t("recipient"), other)]
            if details.get("quantity") is not None and event.kind != "cancelled":
                fields.append(Field(t("quantity"), fmt.quantity(details["quantity"], unit)))
        case "split" | "merged":
            parents = ", ".join(
                f"{e.details.get('parent_lot') or '?'} ({fmt.quantity(e.details['quantity'], unit)})" for e in group
            )
            fields = [
                Field(t("repacked_by"), actor),
                Field(t("from_lots"), parents, mono=True),
                Field(t("quantity"), fmt.quantity(sum(e.details["quantity"] for e in group), unit)),
            ]
        case "inspected":
            passed = bool(details["passed"])
            fields = [
                Field(t("lab"), actor),
                Field(t("result"), t("passed") if passed else t("failed")),
                *document(t("lab_report"), details.get("report_cid"), t, links),
            ]
            tone = "ok" if passed else "alert"
        case "released" | "recalled":
            fields = [Field(t("regulator"), actor), Field(t("reason"), details["reason"])]
            tone = "ok" if event.kind == "released" else "alert"
        case "sold":
            fields = [
                Field(t("seller"), actor),
                Field(t("quantity"), fmt.quantity(details["quantity"], details["unit"])),
                Field(t("price"), fmt.money(details["price"], details["currency"])),
            ]
            tone = "sale"
        case _:  # a kind this page does not know yet: its name and time only
            fields = []
    return Step(
        kind=event.kind,
        title=t.get(f"kind_{event.kind}") or event.kind,
        when=fmt.datetime(event.time),
        iso=fmt.iso(event.time),
        lots=list(dict.fromkeys(e.lot for e in group)),
        fields=fields,
        tone=tone,
    )
