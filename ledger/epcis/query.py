"""EPCIS 2.0 event queries (the REST binding's ``GET /events`` parameters) over the ledger.

Supported parameters: ``eventType``, ``GE_eventTime``, ``LT_eventTime``, ``EQ_bizStep``,
``EQ_disposition``, ``EQ_action``, ``MATCH_epc``, ``MATCH_epcClass``, ``MATCH_anyEPCClass``,
``EQ_bizLocation``, ``EQ_eventID``, ``perPage`` and ``nextPageToken``. Lists are
pipe-delimited (``EQ_bizStep=shipping|receiving``). Events come in chain order; the page
token is the chain position of the last event served, so pages stay stable while new blocks
are indexed. Any other parameter is refused (:class:`QueryError`), not ignored.

Example::

    query = parse_query({"EQ_bizStep": "retail_selling", "perPage": "50"})
    page = run_query(engine, query)       # page.events, page.next_token
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ledger.chain.freshledger import batch_id_of
from ledger.digital_link import DigitalLinkError, parse_path
from ledger.epcis import identifiers as ids
from ledger.epcis.mapping import STEP_EVENTS, MappedEvent, events_of
from ledger.epcis.vocabulary import EVENT_TYPES, normalise_biz_step, normalise_disposition
from ledger.hexes import to_hex
from ledger.queries.events import ledger_records, participants_with_identifier
from ledger.queries.views import Party

if TYPE_CHECKING:
    from sqlalchemy import Engine

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 500
#: Rows read per table in a round: a page's worth (or WIDE_WINDOW for filters only Python
#: applies), four times more each round that fills no page, up to MAX_WINDOW.
WIDE_WINDOW = 1_000
MAX_WINDOW = 20_000
_LISTS = (
    "eventType",
    "EQ_bizStep",
    "EQ_disposition",
    "EQ_action",
    "MATCH_epc",
    "MATCH_epcClass",
    "MATCH_anyEPCClass",
    "EQ_bizLocation",
    "EQ_eventID",
)
SUPPORTED = frozenset((*_LISTS, "GE_eventTime", "LT_eventTime", "perPage", "nextPageToken"))


class QueryError(ValueError):
    """A query parameter FreshLedger cannot answer; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        super().__init__(f"{parameter}: {message}")


@dataclass(frozen=True)
class EventQuery:
    lists: dict[str, frozenset[str]]
    ge_time: int | None = None
    lt_time: int | None = None
    per_page: int = DEFAULT_PER_PAGE
    after: tuple[int, int] | None = None


@dataclass(frozen=True)
class EventPage:
    events: list[dict[str, Any]]
    next_token: str | None
    #: The participants the page's events name (for an export's master data).
    parties: dict[str, Party] = field(default_factory=dict)


def parse_time(parameter: str, value: str) -> int:
    """Seconds, rounded up: block times are whole seconds, so ``>= t`` and ``< t`` both
    compare with the next whole second."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise QueryError(parameter, f"{value!r} is not an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise QueryError(parameter, f"{value!r} has no time zone offset")
    return math.ceil(moment.timestamp())


def encode_token(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[int, int]:
    try:
        block, log = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        # Bounded like the columns they are compared with (BIGINT block, INTEGER log index).
        if not (isinstance(block, int) and isinstance(log, int) and 0 <= block < 2**63 and 0 <= log < 2**31):
            raise ValueError
    except (ValueError, TypeError, binascii.Error):
        raise QueryError("nextPageToken", "not a token this server issued") from None
    return block, log


def parse_query(params: Mapping[str, str]) -> EventQuery:
    """An :class:`EventQuery` from URI query parameters; :class:`QueryError` for anything
    unknown or malformed."""
    unknown = sorted(set(params) - SUPPORTED)
    if unknown:
        raise QueryError(unknown[0], f"not a query parameter FreshLedger supports ({', '.join(sorted(SUPPORTED))})")
    lists: dict[str, frozenset[str]] = {}
    for name in _LISTS:
        if name in params:
            values = frozenset(v for v in params[name].split("|") if v)
            if not values:
                raise QueryError(name, "needs at least one value")
            lists[name] = values
    for name, values in lists.items():
        if name == "eventType" and values - EVENT_TYPES:
            raise QueryError(name, f"unknown event type {sorted(values - EVENT_TYPES)[0]!r}")
        if name == "EQ_action" and values - {"ADD", "OBSERVE", "DELETE"}:
            raise QueryError(name, "actions are ADD, OBSERVE or DELETE")
    if "EQ_bizStep" in lists:
        lists["EQ_bizStep"] = frozenset(normalise_biz_step(v) or v for v in lists["EQ_bizStep"])
    if "EQ_disposition" in lists:
        lists["EQ_disposition"] = frozenset(normalise_disposition(v) or v for v in lists["EQ_disposition"])
    for name in ("MATCH_epc", "MATCH_epcClass", "MATCH_anyEPCClass"):
        if name in lists:
            lists[name] = frozenset(canonical_epc(v) for v in lists[name])
    per_page = DEFAULT_PER_PAGE
    if "perPage" in params:
        try:
            per_page = int(params["perPage"])
        except ValueError:
            raise QueryError("perPage", f"{params['perPage']!r} is not a whole number") from None
        if per_page < 1:
            raise QueryError("perPage", "must be at least 1")
    ge = parse_time("GE_eventTime", params["GE_eventTime"]) if "GE_eventTime" in params else None
    lt = parse_time("LT_eventTime", params["LT_eventTime"]) if "LT_eventTime" in params else None
    after = decode_token(params["nextPageToken"]) if "nextPageToken" in params else None
    return EventQuery(lists, ge, lt, min(per_page, MAX_PER_PAGE), after)


def canonical_epc(uri: str) -> str:
    """One spelling per identifier: a Digital Link on any host, or an lgtin URN, becomes the
    id.gs1.org Digital Link, so either form matches."""
    if uri.startswith("urn:epc:class:lgtin:"):
        try:
            return ids.lot_uri(*ids.parse_lot_uri(uri))
        except ids.IdentifierError:
            return uri
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https") and "/01/" in parts.path:
        try:
            link = parse_path(parts.path[parts.path.index("/01/") :])
        except DigitalLinkError:
            return uri
        return f"https://{ids.ID_HOST}{link.path}"
    return uri


def _classes(event: dict[str, Any], fields: tuple[str, ...]) -> set[str]:
    return {canonical_epc(q["epcClass"]) for f in fields for q in event.get(f) or []}


def matches(event: dict[str, Any], query: EventQuery) -> bool:
    """Whether `event` passes every list filter of `query`."""
    checks = {
        "eventType": lambda: {event["type"]},
        "EQ_bizStep": lambda: {event.get("bizStep")},
        "EQ_disposition": lambda: {event.get("disposition")},
        "EQ_action": lambda: {event.get("action")},
        "EQ_eventID": lambda: {event.get("eventID")},
        "EQ_bizLocation": lambda: {(event.get("bizLocation") or {}).get("id")},
        "MATCH_epc": lambda: {canonical_epc(e) for e in event.get("epcList") or []},
        "MATCH_epcClass": lambda: _classes(event, ("quantityList",)),
        "MATCH_anyEPCClass": lambda: _classes(event, ("quantityList", "inputQuantityList", "outputQuantityList")),
    }
    return all(checks[name]() & wanted for name, wanted in query.lists.items())


_KINDS_PER_TABLE = {table: sum(1 for entry in STEP_EVENTS if entry[0] == table) for table, *_ in STEP_EVENTS}


def _sources(query: EventQuery) -> dict[str, dict[str, set[Any]]]:
    """The tables, and rows of them, whose events can pass the type / action / bizStep /
    disposition / identifier filters (an empty dict: every row of the table)."""
    lists = query.lists
    sources: dict[str, dict[str, set[Any]]] = {}
    kept: dict[str, int] = {}
    for table, where, kind, action, step, disposition in STEP_EVENTS:
        values = (("eventType", kind), ("EQ_action", action), ("EQ_bizStep", step), ("EQ_disposition", disposition))
        if any(name in lists and value not in lists[name] for name, value in values):
            continue
        if ("MATCH_epc" in lists and table != "sales") or ("MATCH_epcClass" in lists and table == "lineage"):
            continue
        kept[table] = kept.get(table, 0) + 1
        merged = sources.setdefault(table, {})
        for column, allowed in where.items():
            merged.setdefault(column, set()).update(allowed)
    # Every kind of a table kept: read it whole (a needless IN would lead the database off
    # the primary key's chain order onto another index).
    return {table: {} if kept[table] == _KINDS_PER_TABLE[table] else where for table, where in sources.items()}


#: Whose place a step's bizLocation is (inspections, releases and recalls carry none).
_PLACE_COLUMNS = {"harvests": ("supplier",), "custody": ("from_address", "to_address"), "lineage": ("custodian",)}
_PLACE_COLUMNS |= {"sales": ("vendor",)}


def _at_locations(engine: Engine, locations: frozenset[str]) -> dict[str, dict[str, set[Any]]]:
    """Rows whose bizLocation can be one of `locations` (a superset: the events are then
    checked exactly): the parties placed there, a harvest's origin, an import's port."""
    addresses: set[str] = set()
    origins: set[str] = set()
    ports: set[str] = set()
    for uri in locations:
        place = ids.parse_place(uri)  # a GLN of a 414 Digital Link, else the URI itself
        origins |= {uri, place}
        address = ids.parse_participant_uri(uri)
        if address:
            addresses.add(address)
        addresses.update(participants_with_identifier(engine, place))
        if uri.startswith(ids.PORT_PREFIX):
            ports.add(unquote(uri.removeprefix(ids.PORT_PREFIX)))
    rows: dict[str, dict[str, set[Any]]] = {t: {c: addresses for c in cs} for t, cs in _PLACE_COLUMNS.items()}
    rows["harvests"]["origin"] = origins
    rows["imports"] = {"entry_port": ports}
    return rows


def _batch_ids(query: EventQuery) -> set[str] | None:
    """Batches the identifier filters name (None: no identifier filter)."""
    found: set[str] | None = None
    for name in ("MATCH_epc", "MATCH_epcClass", "MATCH_anyEPCClass"):
        if name not in query.lists:
            continue
        ids_here = set()
        for uri in query.lists[name]:
            try:
                ids_here.add(to_hex(batch_id_of(*ids.parse_lot_uri(uri))))
            except ids.IdentifierError:
                continue  # names nothing FreshLedger records: matches nothing
        found = ids_here if found is None else found & ids_here
    return found


def run_query(
    engine: Engine,
    query: EventQuery,
    *,
    window: int | None = None,
    scope: Collection[str] | None = None,
    batch_ids: Collection[str] | None = None,
) -> EventPage:
    """One page of the events matching `query`, in chain order, and the next page's token.

    `scope` (batch ids a reader may see; None: every batch) and `batch_ids` (the batches
    asked for, e.g. a lot's lineage; None: any) both narrow the events to steps of those
    batches. Reads windows of rows in chain order from the tables the filters allow, until a
    page and one more event are found or the rows run out. A window that finds too little
    (a filter only Python can apply, such as ``EQ_bizLocation``) widens the next one."""
    sources = _sources(query)
    wanted = _batch_ids(query)
    for narrower in (scope, batch_ids):
        if narrower is not None:
            wanted = set(narrower) if wanted is None else wanted & set(narrower)
    batch_ids = wanted
    located = _at_locations(engine, query.lists["EQ_bizLocation"]) if "EQ_bizLocation" in query.lists else None
    if located is not None:
        sources = {table: where for table, where in sources.items() if table in located}
    # A filter only Python applies (on the built event) may skip most rows: start wider.
    python_only = "EQ_eventID" in query.lists
    window = window or (max(query.per_page + 1, WIDE_WINDOW) if python_only else query.per_page + 1)
    cursor = query.after
    found: list[MappedEvent] = []
    parties: dict[str, Party] = {}
    while sources and batch_ids != set():
        records = ledger_records(
            engine,
            batch_ids=batch_ids,
            since=query.ge_time,
            until=query.lt_time,
            tables=list(sources),
            where=sources,
            where_any=located,
            after=cursor,
            limit=window,
        )
        horizon = records.horizon
        parties |= records.parties
        found += [
            e
            for e in events_of(records)
            if (cursor is None or e.position > cursor)
            and (horizon is None or e.position <= horizon)
            and matches(e.event, query)
        ]
        if horizon is None or len(found) > query.per_page:
            break
        cursor = horizon
        window = min(window * 4, MAX_WINDOW)
    page = found[: query.per_page]
    token = encode_token(page[-1].position) if len(found) > query.per_page else None
    return EventPage([e.event for e in page], token, parties)
