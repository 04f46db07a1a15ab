"""GS1 EPCIS 2.0 for FreshLedger: the ledger's steps as EPCIS events, and EPCIS events from
participants' own systems recorded through the write path.

- :mod:`ledger.epcis.vocabulary`: CBV 2.0 values and FreshLedger's extension namespace;
- :mod:`ledger.epcis.identifiers`: Digital Link / EPC URN lots, participants, places, event ids;
- :mod:`ledger.epcis.mapping`: ledger steps (from ``ledger.queries.events``) to events;
- :mod:`ledger.epcis.export`: events to documents, with the participants as master data;
- :mod:`ledger.epcis.validate`: GS1's JSON Schema and CBV checks, problems named by JSON pointer;
- :mod:`ledger.epcis.plan`: events to the contract calls they mean (or why they cannot be recorded);
- :mod:`ledger.epcis.queued`: those calls queued as the participant's intents, and each event's outcome;
- :mod:`ledger.epcis.query`: the REST binding's event query parameters and paging;
- :mod:`ledger.epcis.cli`: ``freshledger epcis export|validate|capture``.
"""

from ledger.epcis.export import epcis_document, export_document, export_events, query_document
from ledger.epcis.mapping import MappedEvent
from ledger.epcis.plan import PartyResolver, plan_events
from ledger.epcis.query import EventQuery, QueryError, parse_query, run_query
from ledger.epcis.validate import InvalidDocument, Problem, check_document, validate_document

__all__ = [
    "EventQuery",
    "InvalidDocument",
    "MappedEvent",
    "PartyResolver",
    "Problem",
    "QueryError",
    "check_document",
    "epcis_document",
    "export_document",
    "export_events",
    "parse_query",
    "plan_events",
    "query_document",
    "run_query",
    "validate_document",
]
