"""The receipt-scan notice on a sale's page: when its receipt was first scanned and how often,
and, for a receipt scanned from many networks in a short time, that it may be a copy."""

from __future__ import annotations

from dataclasses import dataclass

from api.pages.formats import Formatter
from api.pages.i18n import Messages
from ledger.store.receipt_scans import ScanSummary


@dataclass(frozen=True)
class ScanNotice:
    """What the page says about the receipt's scans (`warning` only when flagged)."""

    text: str
    first_iso: str
    warning: str | None


def scan_notice(summary: ScanSummary | None, t: Messages, fmt: Formatter, window_s: int) -> ScanNotice | None:
    """The notice for `summary` (None: the receipt has not been scanned, as far as counted)."""
    if summary is None:
        return None
    when = fmt.datetime(summary.first_at)
    text = t("scans_once", when=when) if summary.scans == 1 else t("scans_first", when=when, count=summary.scans)
    warning = None
    if summary.flagged:
        minutes = max(1, round(window_s / 60))
        warning = t("scans_copied", networks=summary.networks, minutes=minutes)
    return ScanNotice(text, fmt.iso(summary.first_at), warning)
