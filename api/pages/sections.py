"""The shopper page's sections other than the timeline: the purchase, its origins, lab tests."""

from __future__ import annotations

from dataclasses import dataclass

from babel.lists import format_list

from api.pages.blocks import Field, Links, document, party_name
from api.pages.formats import Formatter
from api.pages.i18n import Messages
from ledger.queries.views import CustodyChain, Party


@dataclass(frozen=True)
class Summary:
    heading: str
    subheading: str
    status: str
    status_label: str
    facts: list[Field]
    stall: list[Field]


@dataclass(frozen=True)
class OriginCard:
    kind: str  # harvest or import
    title: str
    lot: str
    fields: list[Field]


@dataclass(frozen=True)
class ResidueRow:
    substance: str
    measured: str
    limit: str
    exceeded: bool
    verdict: str


@dataclass(frozen=True)
class LabTest:
    lot: str
    lab: Field
    when: str
    iso: str
    passed: bool
    verdict: str
    residues: list[ResidueRow]
    report: list[Field]


def identifier(fmt: Formatter, party: Party | None) -> str | None:
    """A participant's GLN (13 digits) or licence number as shown under its name."""
    if party is None or not party.identifier:
        return None
    gln = len(party.identifier) == 13 and party.identifier.isdigit()
    return fmt.t("gln", gln=party.identifier) if gln else party.identifier


def summary(chain: CustodyChain, t: Messages, fmt: Formatter, links: Links, product_name: str | None = None) -> Summary:
    """What was bought, where, when and for how much; the lot's status."""
    sale = chain.sale
    places = [
        (o.party.name or "") if o.kind == "harvest" else fmt.country_name(o.details["origin_country"])
        for o in chain.origins
    ]
    names = [p for p in dict.fromkeys(places) if p]
    facts = [
        *([Field(t("product"), product_name)] if product_name else []),
        Field(t("gtin"), sale.gtin, mono=True),
        Field(t("lot"), sale.lot, mono=True),
        Field(t("quantity"), fmt.quantity(sale.quantity, sale.unit)),
        Field(t("price"), fmt.money(sale.price, sale.currency)),
        Field(t("sold_on"), fmt.datetime(sale.time), iso=fmt.iso(sale.time)),
    ]
    stall = [
        Field(t("stall"), party_name(sale.vendor), links.stall(sale.vendor.address)),
        *([Field(t("licence"), sale.vendor.identifier, mono=True)] if sale.vendor.identifier else []),
    ]
    return Summary(
        heading=product_name or t("lot_heading", lot=sale.lot),
        subheading=t("from_origin", names=format_list(names, locale=fmt.locale)) if names else "",
        status=chain.batch.status,
        status_label=t.get(f"status_{chain.batch.status}") or chain.batch.status,
        facts=facts,
        stall=stall,
    )


def origin_cards(chain: CustodyChain, t: Messages, fmt: Formatter, links: Links) -> list[OriginCard]:
    """One card per farm harvest or customs entry behind the sale."""
    customs = {e.batch_id: e.actor for e in chain.events if e.kind == "imported"}
    cards = []
    for origin in chain.origins:
        details = origin.details
        quantity = Field(t("quantity"), fmt.quantity(details["quantity"], details["unit"]))
        if origin.kind == "harvest":
            place = fmt.place(origin.place)
            fields = [
                Field(t("farm"), party_name(origin.party), note=identifier(fmt, origin.party)),
                Field(t("harvest_date"), fmt.date(origin.time), iso=fmt.iso(origin.time)),
                Field(t("place"), place.text, place.href),
                quantity,
                *document(t("harvest_photo"), details.get("document_cid"), t, links),
            ]
        else:
            fields = [
                Field(t("country"), fmt.country(details["origin_country"])),
                Field(t("importer"), party_name(origin.party), note=identifier(fmt, origin.party)),
                *([Field(t("hs_code"), fmt.hs_code(details["hs_code"]), mono=True)] if details.get("hs_code") else []),
                Field(t("declaration_number"), details["declaration_number"], mono=True),
                Field(t("cleared_on"), fmt.date(details["cleared_at"]), iso=fmt.iso(details["cleared_at"])),
                Field(t("entry_port"), details["entry_port"], mono=True),
                *([Field(t("customs"), party_name(customs[origin.batch_id]))] if origin.batch_id in customs else []),
                quantity,
                *document(t("customs_declaration"), details.get("document_cid"), t, links),
            ]
        cards.append(OriginCard(origin.kind, t(f"origin_{origin.kind}"), origin.lot, fields))
    return cards


def lab_tests(chain: CustodyChain, t: Messages, fmt: Formatter, links: Links) -> list[LabTest]:
    """Every inspection in the lineage, each residue against its legal limit."""
    found = []
    for event in chain.events:
        if event.kind != "inspected":
            continue
        passed = bool(event.details["passed"])
        rows = [
            ResidueRow(
                substance=r.substance,
                measured=fmt.residue(r.measured, r.unit),
                limit=fmt.residue(r.limit, r.unit),
                exceeded=r.exceeded,
                verdict=t("over_limit") if r.exceeded else t("within_limit"),
            )
            for r in event.details["residues"]
        ]
        found.append(
            LabTest(
                lot=event.lot,
                lab=Field(t("lab"), party_name(event.actor)),
                when=fmt.datetime(event.time),
                iso=fmt.iso(event.time),
                passed=passed,
                verdict=t("passed") if passed else t("failed"),
                residues=rows,
                report=document(t("lab_report"), event.details.get("report_cid"), t, links),
            )
        )
    return found
