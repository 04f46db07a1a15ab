"""The event tables under the short names the queries use for them."""

from __future__ import annotations

from sqlalchemy import Table

from ledger.store import models

EVENT_TABLES: dict[str, Table] = {
    "harvests": models.Harvest.__table__,
    "imports": models.Import.__table__,
    "custody": models.CustodyEvent.__table__,
    "lineage": models.LineageEdge.__table__,
    "inspections": models.Inspection.__table__,
    "residues": models.Residue.__table__,
    "releases": models.QuarantineRelease.__table__,
    "recalls": models.Recall.__table__,
    "sales": models.Sale.__table__,
}

#: The tables of the steps of a batch's life, in the order readers take them (residues come
#: with their inspections).
STEP_TABLES = ("harvests", "imports", "custody", "lineage", "inspections", "releases", "recalls", "sales")
