"""The red banner above everything else on a recalled or quarantined lot's page.

- ``recalled``: the sold lot, or any lot it came from, was recalled (one notice per recall:
  reason, date, regulator, lots);
- ``quarantined``: the sold lot failed a lab test and is held (the failing residues, date, lab);
- ``warning``: a lot it came from failed a test the regulator has not released yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.pages.blocks import Field, party_name
from api.pages.formats import Formatter
from api.pages.i18n import Messages
from ledger.queries.views import CustodyChain, TimelineEvent


@dataclass(frozen=True)
class Banner:
    kind: str  # recalled, quarantined or warning
    title: str
    advice: str
    notices: list[list[Field]]


def banner(chain: CustodyChain, t: Messages, fmt: Formatter) -> Banner | None:
    """The banner `chain` calls for, or None when nothing is wrong."""
    recalls = [e for e in chain.alerts if e.kind == "recalled"]
    if chain.batch.status == "recalled" or recalls:
        by_recall: dict[str, list[TimelineEvent]] = {}
        for event in recalls:
            by_recall.setdefault(event.tx_hash, []).append(event)
        notices = [_recall(events, t, fmt) for events in by_recall.values()]
        return Banner("recalled", t("banner_recalled"), t("banner_advice"), notices)
    failures = unreleased_failures(chain)
    if chain.batch.status == "quarantined":
        own = [e for e in failures if e.batch_id == chain.batch.batch_id] or failures
        return Banner("quarantined", t("banner_quarantined"), t("banner_advice"), [_failure(e, t, fmt) for e in own])
    if failures:
        notices = [_failure(e, t, fmt) for e in failures]
        return Banner("warning", t("banner_warning"), t("banner_warning_advice"), notices)
    return None


def unreleased_failures(chain: CustodyChain) -> list[TimelineEvent]:
    """Failed tests in the lineage with no quarantine release of their lot after them."""
    releases = [e for e in chain.events if e.kind == "released"]
    return [
        e
        for e in chain.alerts
        if e.kind == "inspected"
        and not any(
            r.batch_id == e.batch_id and (r.block_number, r.log_index) > (e.block_number, e.log_index) for r in releases
        )
    ]


def _recall(events: list[TimelineEvent], t: Messages, fmt: Formatter) -> list[Field]:
    first = events[0]
    return [
        Field(t("reason"), first.details["reason"]),
        Field(t("date"), fmt.datetime(first.time), iso=fmt.iso(first.time)),
        Field(t("issued_by"), party_name(first.actor)),
        Field(t("lots"), ", ".join(dict.fromkeys(e.lot for e in events)), mono=True),
    ]


def _failure(event: TimelineEvent, t: Messages, fmt: Formatter) -> list[Field]:
    over = [
        t(
            "residue_over",
            substance=r.substance,
            measured=fmt.residue(r.measured, r.unit),
            limit=fmt.residue(r.limit, r.unit),
        )
        for r in event.details["residues"]
        if r.exceeded
    ]
    reason = t("failed_test_reason", residues=", ".join(over)) if over else t("failed")
    return [
        Field(t("reason"), reason),
        Field(t("date"), fmt.datetime(event.time), iso=fmt.iso(event.time)),
        Field(t("issued_by"), party_name(event.actor)),
        Field(t("lots"), event.lot, mono=True),
    ]
