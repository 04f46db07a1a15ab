"""GS1 Core Business Vocabulary (CBV 2.0) values FreshLedger checks and writes, and its own
namespace for the few fields CBV has no term for.

A bizStep, disposition, business-transaction type, source/destination type or sensor
measurement type is either one of CBV's bare words below or a URI outside CBV's own
namespaces (``urn:epcglobal:cbv:...``, ``https://ns.gs1.org/cbv/...``, ``https://ref.gs1.org/cbv/...``):
a bare word CBV does not define (``transforming``, ``in_transport``) is refused.
"""

from __future__ import annotations

import re

BIZ_STEPS = frozenset(
    [
        "accepting",
        "arriving",
        "assembling",
        "collecting",
        "commissioning",
        "consigning",
        "creating_class_instance",
        "cycle_counting",
        "decommissioning",
        "departing",
        "destroying",
        "disassembling",
        "dispensing",
        "encoding",
        "entering_exiting",
        "holding",
        "inspecting",
        "installing",
        "killing",
        "loading",
        "other",
        "packing",
        "picking",
        "receiving",
        "removing",
        "repackaging",
        "repairing",
        "replacing",
        "reserving",
        "retail_selling",
        "sensor_reporting",
        "sampling",
        "shipping",
        "staging_outbound",
        "stock_taking",
        "stocking",
        "storing",
        "transporting",
        "unloading",
        "unpacking",
        "void_shipping",
    ]
)

DISPOSITIONS = frozenset(
    [
        "active",
        "available",
        "completeness_inferred",
        "completeness_verified",
        "conformant",
        "container_closed",
        "container_open",
        "damaged",
        "destroyed",
        "dispensed",
        "disposed",
        "encoded",
        "expired",
        "in_progress",
        "in_transit",
        "inactive",
        "mismatch_class",
        "mismatch_instance",
        "mismatch_quantity",
        "needs_replacement",
        "no_pedigree_match",
        "non_conformant",
        "non_sellable_other",
        "partially_dispensed",
        "recalled",
        "reserved",
        "retail_sold",
        "returned",
        "sellable_accessible",
        "sellable_not_accessible",
        "stolen",
        "unavailable",
        "unknown",
    ]
)

BIZ_TRANSACTION_TYPES = frozenset(
    [
        "bol",
        "cert",
        "desadv",
        "inv",
        "pedigree",
        "po",
        "poc",
        "prodorder",
        "recadv",
        "rma",
        "testprd",
        "testres",
        "upevt",
    ]
)
SOURCE_DEST_TYPES = frozenset(("owning_party", "possessing_party", "location"))
ACTIONS = frozenset(("ADD", "OBSERVE", "DELETE"))
EVENT_TYPES = frozenset(
    ("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent")
)

#: Web and URN forms of CBV's own namespace: a value there must be a CBV word, not a URI.
_CBV_NAMESPACE = re.compile(r"^(urn:epcglobal:cbv:|https?://(ns|ref)\.gs1\.org/cbv/)")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")


def _cbv_word(value: str, words: frozenset[str], prefix: str) -> str | None:
    """The CBV word `value` names, in bare or URI form (``urn:epcglobal:cbv:bizstep:shipping``)."""
    if value in words:
        return value
    lowered = value.lower()
    for form in (f"urn:epcglobal:cbv:{prefix}:", f"https://ref.gs1.org/cbv/{prefix.capitalize()}-"):
        if lowered.startswith(form.lower()) and value[len(form) :] in words:
            return value[len(form) :]
    return None


def is_uri(value: str) -> bool:
    """An absolute URI (RFC 3986 scheme, then no white space): what EPCIS calls a URI."""
    return bool(_URI.match(value))


def check_term(value: object, words: frozenset[str], prefix: str, what: str) -> str | None:
    """Why `value` is not a CBV `what` nor a URI of another vocabulary; None when it is fine."""
    if not isinstance(value, str):
        return f"{what} must be a string"
    if _cbv_word(value, words, prefix) is not None:
        return None
    if _CBV_NAMESPACE.match(value):
        return f"{value!r} is in the CBV namespace but is not a CBV 2.0 {what}"
    if is_uri(value):
        return None
    return f"{value!r} is not a CBV 2.0 {what} (nor a URI of another vocabulary)"


def normalise_biz_step(value: str | None) -> str | None:
    """`value` as its bare CBV word when it is one (``urn:epcglobal:cbv:bizstep:x`` -> ``x``)."""
    if value is None:
        return None
    return _cbv_word(value, BIZ_STEPS, "bizstep") or value


def normalise_disposition(value: str | None) -> str | None:
    if value is None:
        return None
    return _cbv_word(value, DISPOSITIONS, "disp") or value


# ------------------------------------------------------------------ FreshLedger's own terms

#: JSON-LD prefix and IRI of FreshLedger's extension fields (document CIDs, limits, prices).
NAMESPACE_PREFIX = "freshledger"
NAMESPACE = "urn:freshledger:epcis:"
EPCIS_CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#: The document context: GS1's, plus the FreshLedger prefix.
CONTEXT: list[object] = [EPCIS_CONTEXT_URL, {NAMESPACE_PREFIX: NAMESPACE}]

#: Business-transaction type of a customs declaration (CBV has none).
CUSTOMS_DECLARATION_TYPE = "urn:freshledger:btt:customs_declaration"


def term(name: str) -> str:
    """A FreshLedger extension field name, e.g. ``freshledger:documentCid``."""
    return f"{NAMESPACE_PREFIX}:{name}"
