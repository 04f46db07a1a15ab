"""Every sale must come from somewhere: its lineage reaches a harvest or a customs entry."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ledger.audit.findings import Finding, SaleWithoutOrigin
from ledger.queries.audit import sales_without_origin

if TYPE_CHECKING:
    from sqlalchemy import Engine


def check_origins(engine: Engine) -> list[Finding]:
    """One finding per sale whose lineage (in `engine`'s database) has a dead end."""
    by_sale: dict[tuple[str, str, str | None], list[tuple[str, str | None]]] = defaultdict(list)
    for row in sales_without_origin(engine):
        by_sale[(row["sale_id"], row["batch_id"], row["lot"])].append((row["orphan_id"], row["orphan_lot"]))
    return [
        SaleWithoutOrigin(sale_id, batch_id, lot, tuple(o for o, _ in orphans), tuple(lot for _, lot in orphans))
        for (sale_id, batch_id, lot), orphans in sorted(by_sale.items())
    ]
