"""Capture's first half: EPCIS events a participant's own system sends, read as the
life-cycle calls they mean (:func:`plan_events`), or why FreshLedger cannot record them.
:mod:`ledger.epcis.capture` sends the calls.

| event | call | role |
|---|---|---|
| ObjectEvent ADD commissioning, lot quantities, origin as bizLocation | registerHarvest per lot | supplier |
| ObjectEvent ADD receiving / accepting with a customs-declaration bizTransaction | registerImport per lot | customs |
| ObjectEvent OBSERVE shipping, a destination party | handOff per lot | custodian |
| ObjectEvent OBSERVE receiving / accepting | acceptHandOff per lot | recipient |
| ObjectEvent OBSERVE void_shipping | cancelHandOff per lot | sender |
| ObjectEvent OBSERVE inspecting with chemicalSubstance reports and limits | recordInspection | lab |
| ObjectEvent OBSERVE retail_selling with price and currency | recordSale | vendor |
| TransformationEvent, one input lot -> new lots / several input lots -> one new lot | split / merge | custodian |

Everything else (aggregation, association and transaction events, serialised items, DELETE,
other business steps) is reported as unsupported, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from ledger.chain.freshledger import batch_id_of
from ledger.documents import parse_cid
from ledger.epcis import identifiers as ids
from ledger.epcis.validate import events_in, pointer
from ledger.epcis.vocabulary import CUSTOMS_DECLARATION_TYPE, normalise_biz_step, normalise_disposition, term
from ledger.vocabulary import Residue

#: UN/ECE Rec 20 codes back to the units labs record.
_UNIT_TEXT = {"J33": "ug/kg", "NA": "mg/kg"}


class Unsupported(Exception):
    """An event FreshLedger cannot record; the message says why."""


@dataclass(frozen=True)
class Call:
    """One life-cycle call: a FreshLedgerContract method and its arguments."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    summary: str = ""


@dataclass(frozen=True)
class EventPlan:
    index: int
    pointer: str
    event_id: str | None
    event_type: str
    biz_step: str | None
    calls: list[Call]
    unsupported: str | None = None


class PartyResolver:
    """Participant URNs to addresses; a party GLN (AI 417) through `by_identifier`, when it
    names exactly one participant."""

    def __init__(self, by_identifier: Callable[[str], list[str]] | None = None) -> None:
        self._by_identifier = by_identifier

    def __call__(self, uri: str) -> str | None:
        address = ids.parse_participant_uri(uri)
        if address is not None:
            return address
        gln = ids.parse_party_gln(uri)
        if gln and self._by_identifier is not None:
            found = self._by_identifier(gln)
            if len(found) == 1:
                return found[0]
        return None


# ------------------------------------------------------------------ planning


def _seconds(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _lots(items: list[dict[str, Any]] | None, epcs: list[str] | None, where: str) -> list[tuple[str, str, dict]]:
    """(GTIN, lot, quantity element) of every lot named; Unsupported for serialised items."""
    found = []
    for epc in epcs or []:
        gtin, lot = _lot(epc)
        found.append((gtin, lot, {}))
    for item in items or []:
        gtin, lot = _lot(item["epcClass"])
        found.append((gtin, lot, item))
    if not found:
        raise Unsupported(f"the event names no lot in {where}")
    return found


def _lot(uri: str) -> tuple[str, str]:
    try:
        return ids.parse_lot_uri(uri)
    except ids.IdentifierError as exc:
        raise Unsupported(str(exc)) from None


def _amount(item: dict[str, Any], gtin: str, lot: str) -> tuple[int, str]:
    quantity, uom = item.get("quantity"), item.get("uom")
    if quantity is None:
        raise Unsupported(f"lot {lot} (GTIN {gtin}) has no quantity: FreshLedger records lots by quantity")
    if quantity != int(quantity) or quantity <= 0:
        raise Unsupported(f"lot {lot}: quantities are positive whole numbers of the unit, got {quantity}")
    if not isinstance(uom, str) or len(uom) != 3:
        raise Unsupported(f"lot {lot}: a three-letter UN/ECE Rec 20 uom such as KGM is needed, got {uom!r}")
    return int(quantity), uom


def _party(event: dict[str, Any], field_name: str, key: str, resolve: PartyResolver) -> str:
    entries = sorted(event.get(field_name) or [], key=lambda e: e.get("type") != "owning_party")
    for entry in entries:
        if entry.get("type") in ("owning_party", "possessing_party"):
            address = resolve(entry[key])
            if address:
                return address
    raise Unsupported(f"no {field_name} party (owning_party / possessing_party) names a participant of this market")


def _document(event: dict[str, Any], name: str) -> bytes:
    text = event.get(term(name))
    return bytes(parse_cid(text)) if text else b""


def _place(event: dict[str, Any]) -> str:
    for key in ("bizLocation", "readPoint"):
        if isinstance(event.get(key), dict) and event[key].get("id"):
            return ids.parse_place(event[key]["id"])
    raise Unsupported("the place (origin or port of entry) is needed as bizLocation or readPoint")


def _harvest(event: dict[str, Any]) -> list[Call]:
    if event.get("epcList"):
        raise Unsupported("serialised items (epcList) cannot be commissioned: FreshLedger records lots by quantity")
    ilmd = event.get("ilmd") or {}
    when = ilmd.get("cbvmda:harvestStartDate") or event["eventTime"]
    origin = _place(event)
    calls = []
    for gtin, lot, item in _lots(event.get("quantityList"), None, "quantityList"):
        quantity, uom = _amount(item, gtin, lot)
        calls.append(
            Call(
                "register_harvest",
                kwargs={
                    "gtin": gtin,
                    "lot": lot,
                    "quantity": quantity,
                    "unit": uom,
                    "harvested_at": _seconds(when),
                    "origin": origin,
                    "document_cid": _document(event, "documentCid"),
                },
                summary=f"harvest of lot {lot} (GTIN {gtin}), {quantity} {uom}",
            )
        )
    return calls


def _import(event: dict[str, Any], resolve: PartyResolver) -> list[Call]:
    declaration = next(
        (
            t["bizTransaction"]
            for t in event.get("bizTransactionList") or []
            if t.get("type") == CUSTOMS_DECLARATION_TYPE
        ),
        None,
    )
    if declaration is None:
        raise Unsupported("an import needs a customs-declaration bizTransaction")
    number = unquote(declaration.removeprefix(ids.CUSTOMS_DECLARATION_PREFIX))
    ilmd = event.get("ilmd") or {}
    country = ilmd.get("cbvmda:countryOfOrigin")
    if not isinstance(country, str):
        raise Unsupported("an import needs ilmd cbvmda:countryOfOrigin")
    hs_code = ilmd.get(term("hsCode"), "")
    if not isinstance(hs_code, str):
        raise Unsupported(f"ilmd {term('hsCode')} must be a string of 6 to 10 digits")
    port = unquote(_place(event).removeprefix(ids.PORT_PREFIX))
    importer = _party(event, "destinationList", "destination", resolve)
    cleared = event.get(term("clearedAt")) or event["eventTime"]
    calls = []
    for gtin, lot, item in _lots(event.get("quantityList"), None, "quantityList"):
        quantity, uom = _amount(item, gtin, lot)
        calls.append(
            Call(
                "register_import",
                kwargs={
                    "gtin": gtin,
                    "lot": lot,
                    "quantity": quantity,
                    "unit": uom,
                    "importer": importer,
                    "origin_country": country,
                    "hs_code": hs_code,
                    "declaration_number": number,
                    "cleared_at": _seconds(cleared),
                    "entry_port": port,
                    "document_cid": _document(event, "documentCid"),
                },
                summary=f"import of lot {lot} (GTIN {gtin}), {quantity} {uom}, declaration {number}",
            )
        )
    return calls


def _per_lot(event: dict[str, Any], method: str, verb: str, *extra: Any) -> list[Call]:
    lots = _lots(event.get("quantityList"), event.get("epcList"), "epcList / quantityList")
    return [
        Call(method, (batch_id_of(gtin, lot), *extra), summary=f"{verb} lot {lot} (GTIN {gtin})")
        for gtin, lot, _ in lots
    ]


def _inspection(event: dict[str, Any]) -> list[Call]:
    residues = []
    for element in event.get("sensorElementList") or []:
        for report in element.get("sensorReport") or []:
            if "chemicalSubstance" not in report:
                continue
            name = report.get(term("substanceName")) or unquote(
                report["chemicalSubstance"].removeprefix(ids.SUBSTANCE_PREFIX)
            )
            value, limit = report.get("value"), report.get(term("limit"))
            if limit is None:
                raise Unsupported(f"residue {name}: the legal limit ({term('limit')}) is needed")
            if value is None or value != int(value) or limit != int(limit):
                raise Unsupported(f"residue {name}: value and limit must be whole numbers of the unit")
            unit = report.get(term("unitText")) or _UNIT_TEXT.get(report.get("uom", ""), report.get("uom") or "ug/kg")
            residues.append(Residue(name, int(value), int(limit), unit))
    if not residues:
        raise Unsupported("an inspection needs sensorReport entries with chemicalSubstance")
    passed = event.get(term("passed"))
    if passed is None:
        passed = normalise_disposition(event.get("disposition")) != "non_conformant"
    lots = _lots(event.get("quantityList"), event.get("epcList"), "epcList / quantityList")
    return [
        Call(
            "record_inspection",
            (batch_id_of(gtin, lot),),
            {"passed": bool(passed), "residues": residues, "report_cid": _document(event, "reportCid")},
            summary=f"residue test of lot {lot} (GTIN {gtin}), {'passed' if passed else 'failed'}",
        )
        for gtin, lot, _ in lots
    ]


def _sale(event: dict[str, Any]) -> list[Call]:
    price, currency = event.get(term("price")), event.get(term("currency"))
    if price is None or not isinstance(currency, str):
        raise Unsupported(f"a sale needs {term('price')} (minor units) and {term('currency')}")
    calls = []
    for gtin, lot, item in _lots(event.get("quantityList"), None, "quantityList"):
        quantity, _ = _amount(item, gtin, lot)
        calls.append(
            Call(
                "record_sale",
                (batch_id_of(gtin, lot),),
                {"quantity": quantity, "price": int(price), "currency": currency},
                summary=f"sale of {quantity} from lot {lot} (GTIN {gtin})",
            )
        )
    return calls


def _object_event(event: dict[str, Any], resolve: PartyResolver) -> list[Call]:
    action, step = event.get("action"), normalise_biz_step(event.get("bizStep"))
    if action == "ADD" and step == "commissioning":
        return _harvest(event)
    if action == "ADD" and step in ("receiving", "accepting"):
        return _import(event, resolve)
    if action == "OBSERVE" and step == "shipping":
        _lots(event.get("quantityList"), event.get("epcList"), "epcList / quantityList")  # lots first: the main reason
        recipient = _party(event, "destinationList", "destination", resolve)
        return _per_lot(event, "hand_off", "hand-off of", recipient)
    if action == "OBSERVE" and step in ("receiving", "accepting"):
        return _per_lot(event, "accept_hand_off", "acceptance of")
    if action == "OBSERVE" and step == "void_shipping":
        return _per_lot(event, "cancel_hand_off", "cancelled hand-off of")
    if action == "OBSERVE" and step == "inspecting":
        return _inspection(event)
    if action == "OBSERVE" and step == "retail_selling":
        return _sale(event)
    raise Unsupported(f"FreshLedger records no ObjectEvent with action {action} and bizStep {step or '(none)'}")


def _transformation(event: dict[str, Any]) -> list[Call]:
    if event.get("inputEPCList") or event.get("outputEPCList"):
        raise Unsupported("serialised inputs or outputs (EPC lists) cannot be repacked: FreshLedger records lots")
    inputs = _lots(event.get("inputQuantityList"), None, "inputQuantityList")
    outputs = _lots(event.get("outputQuantityList"), None, "outputQuantityList")
    gtins = {gtin for gtin, _, _ in inputs + outputs}
    if len(gtins) != 1:
        raise Unsupported("repacking keeps the product: inputs and outputs must share one GTIN")
    if len(inputs) == 1:
        gtin, lot, _ = inputs[0]
        parts = [(out_lot, _amount(item, gtin, out_lot)[0]) for _, out_lot, item in outputs]
        return [Call("split", (batch_id_of(gtin, lot), parts), summary=f"split of lot {lot} into {len(parts)} lots")]
    if len(outputs) == 1:
        gtin, lot, _ = outputs[0]
        parents = [batch_id_of(g, parent) for g, parent, _ in inputs]
        return [Call("merge", (parents, lot), summary=f"merge of {len(parents)} lots into lot {lot}")]
    raise Unsupported("a transformation of several lots into several lots is neither a split nor a merge")


_NOT_RECORDED = {
    "AggregationEvent": "FreshLedger does not record packing hierarchies (AggregationEvent)",
    "AssociationEvent": "FreshLedger does not record associations of objects (AssociationEvent)",
    "TransactionEvent": "FreshLedger does not record business-transaction links (TransactionEvent)",
}


def plan_event(event: dict[str, Any], resolve: PartyResolver) -> list[Call]:
    """The calls that record `event`; raises :class:`Unsupported` with the reason otherwise."""
    kind = event.get("type")
    if kind in _NOT_RECORDED:
        raise Unsupported(_NOT_RECORDED[kind])
    if kind == "ObjectEvent":
        return _object_event(event, resolve)
    if kind == "TransformationEvent":
        return _transformation(event)
    raise Unsupported(f"FreshLedger does not record events of type {kind}")


def plan_events(document: dict[str, Any], resolve: PartyResolver) -> list[EventPlan]:
    """A plan per event of a valid document, in document order."""
    plans = []
    for index, (path, event) in enumerate(events_in(document)):
        common = {
            "index": index,
            "pointer": pointer(path),
            "event_id": event.get("eventID"),
            "event_type": str(event.get("type")),
            "biz_step": normalise_biz_step(event.get("bizStep")),
        }
        try:
            plans.append(EventPlan(calls=plan_event(event, resolve), **common))
        except Unsupported as exc:
            plans.append(EventPlan(calls=[], unsupported=str(exc), **common))
        except Exception as exc:  # a field of an unexpected shape: this event is unreadable, not the job
            plans.append(EventPlan(calls=[], unsupported=f"cannot read the event: {exc!r}", **common))
    return plans
