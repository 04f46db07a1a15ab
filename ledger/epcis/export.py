"""EPCIS 2.0 documents of the ledger: a lot's whole lineage (or a GTIN's, or everything in a
window) as an EPCISDocument with the participants' names as master data, and query results
as an EPCISQueryDocument. The events themselves come from :mod:`ledger.epcis.mapping`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ledger.epcis import identifiers as ids
from ledger.epcis.mapping import MappedEvent, events_of
from ledger.epcis.vocabulary import CONTEXT
from ledger.errors import NotFound
from ledger.queries.events import batches_of_gtin, batches_of_lot, ledger_records, lineage_of
from ledger.queries.views import LedgerRecords, Party

if TYPE_CHECKING:
    from sqlalchemy import Engine


def epcis_document(events: list[dict[str, Any]], *, created: datetime | None = None) -> dict[str, Any]:
    """An EPCISDocument holding `events`."""
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": (created or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
        "epcisBody": {"eventList": events},
    }


def query_document(events: list[dict[str, Any]], query_name: str = "SimpleEventQuery") -> dict[str, Any]:
    """An EPCISQueryDocument (what ``GET /events`` answers) holding `events`."""
    return {
        "@context": CONTEXT,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "epcisBody": {"queryResults": {"queryName": query_name, "resultsBody": {"eventList": events}}},
    }


def lineage_batches(engine: Engine, lot: str | None, gtin: str | None) -> set[str] | None:
    """The batches of a lot's whole lineage (both directions; every lot of `gtin` when no lot
    is given); None when neither is given (every batch).

    Raises :class:`NotFound` when `lot` / `gtin` name no batch.
    """
    batch_ids: set[str] | None = None
    if lot is not None:
        batch_ids = lineage_of(engine, batches_of_lot(engine, lot, gtin))
    elif gtin is not None:
        batch_ids = lineage_of(engine, batches_of_gtin(engine, gtin))
    if batch_ids is not None and not batch_ids:
        what = " ".join(p for p in (f"GTIN {gtin}" if gtin else "", f"lot {lot}" if lot else "") if p)
        raise NotFound(f"no batch with {what}")
    return batch_ids


def _selected(engine: Engine, lot: str | None, gtin: str | None, since: int | None, until: int | None) -> LedgerRecords:
    return ledger_records(engine, batch_ids=lineage_batches(engine, lot, gtin), since=since, until=until)


def export_events(
    engine: Engine,
    *,
    lot: str | None = None,
    gtin: str | None = None,
    since: int | None = None,
    until: int | None = None,
) -> list[MappedEvent]:
    """The events of a lot's whole lineage (both directions; every lot of `gtin` when no lot
    is given) or of all batches, with block time in [since, until).

    Raises :class:`NotFound` when `lot` / `gtin` name no batch.
    """
    return events_of(_selected(engine, lot, gtin, since, until))


#: CBV master-data attribute of a name, and FreshLedger's of a participant's GLN or licence.
NAME_ATTRIBUTE = "urn:epcglobal:cbv:mda#name"
IDENTIFIER_ATTRIBUTE = "urn:freshledger:epcis:identifier"


def master_data(named: Mapping[str, Party], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who the participant URNs and which places the locations are: the names a regulator
    reads (EPCIS master data: SourceDest and BusinessLocation vocabularies)."""
    parties = []
    locations: dict[str, dict[str, Any]] = {}
    used = {e[key]["id"] for e in events for key in ("bizLocation", "readPoint") if isinstance(e.get(key), dict)}
    for address, party in sorted(named.items()):
        attributes = [{"id": NAME_ATTRIBUTE, "attribute": party.name}] if party.name else []
        if party.identifier:
            attributes.append({"id": IDENTIFIER_ATTRIBUTE, "attribute": party.identifier})
        parties.append({"id": ids.participant_uri(address), "attributes": attributes})
        place = ids.place_uri(party.identifier, address)
        if place in used and party.name and place not in locations:
            locations[place] = {"id": place, "attributes": [{"id": NAME_ATTRIBUTE, "attribute": party.name}]}
    return [
        {"type": "urn:epcglobal:epcis:vtype:SourceDest", "vocabularyElementList": parties},
        {"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": list(locations.values())},
    ]


def export_document(
    engine: Engine,
    *,
    lot: str | None = None,
    gtin: str | None = None,
    since: int | None = None,
    until: int | None = None,
) -> dict[str, Any]:
    """:func:`export_events` as an EPCISDocument, with the participants' names as master data."""
    records = _selected(engine, lot, gtin, since, until)
    return export_of([e.event for e in events_of(records)], records.parties)


def export_of(events: list[dict[str, Any]], parties: Mapping[str, Party]) -> dict[str, Any]:
    """An EPCISDocument of `events` with `parties` (by address) as master data."""
    document = epcis_document(events)
    body = document.pop("epcisBody")
    return {
        **document,
        "epcisHeader": {"epcisMasterData": {"vocabularyList": master_data(parties, events)}},
        "epcisBody": body,
    }
