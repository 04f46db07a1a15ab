"""The demo market recorded on the chain through the write path, one chapter after another.

Chapters: the authority admits the participants; the farms register their harvests (each
with a photo in the document store); Ningbo customs clears the importer's Thai fruit
(durian, mangosteen, longan) from a declaration file, checked and recorded through the write
queue (one transaction) as ``freshledger customs import`` records one; the harvests and the durian go to
the wholesaler, who repacks for three stalls; the market lab tests (one strawberry repack
fails and is quarantined; the wholesaler's attempt to ship it anyway is refused by the
contract); the stalls receive and sell a day's worth; and the regulator recalls the failed
strawberry lot, traced forward through the indexed database to every batch and sale made
from it.

Recording is resumable in the only way a chain allows, by looking: the first harvest's batch
tells whether the market was started on this deployment, the recall whether it was finished.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from ledger.chain.client import TxResult
from ledger.chain.freshledger import FreshLedgerContract, batch_id_of
from ledger.demo import market, papers
from ledger.demo import notices as demo_notices
from ledger.demo.declaration_file import declaration_paper, write_declaration
from ledger.demo.market import HOUR, Cast, cast
from ledger.documents.cid import cid_of
from ledger.documents.store import DocumentStore
from ledger.errors import ContractRevert, LedgerError
from ledger.hexes import to_hex
from ledger.intake.declaration_files import import_declaration_file
from ledger.queries.trace import trace_forward
from ledger.recall import RecallSender, recall_lot


@dataclass(frozen=True)
class Step:
    """One recorded step, for the summary table and the progress display."""

    action: str
    actor: str
    detail: str
    block: int | None
    gas: int | None
    outcome: str = "recorded"


class PartialMarket(LedgerError):
    """The chain holds a market a previous run started and did not finish."""


#: Reports that the database now holds the chain up to its head, and returns its engine: the
#: recall is traced forward through the indexed database, as a regulator's would be.
Indexed = Callable[[], Engine]


def lot_id(lot: str) -> bytes:
    """The batch id of a lot of the scenario (GTIN + lot)."""
    return batch_id_of(market.product_of(lot).gtin, lot)


def greens_batch_id() -> bytes:
    return lot_id(market.HARVESTS[0].lot)


def market_state(ledger: FreshLedgerContract) -> str:
    """``"none"``, ``"partial"`` or ``"complete"``: how much of the market this chain holds."""
    if ledger.batch(greens_batch_id()).status == "none":
        return "none"
    recalled = ledger.batch(lot_id(market.RECALLED_LOT)).status == "recalled"
    # A market of an older, smaller demo has the recall too but not every repack of this one.
    whole = ledger.batch(lot_id(market.REPACKS[-1][1][-1][0])).status != "none"
    return "complete" if recalled and whole else "partial"


def already_recorded(ledger: FreshLedgerContract) -> bool:
    """Whether the market was recorded on this deployment, in full (see :class:`PartialMarket`)."""
    state = market_state(ledger)
    if state == "partial":
        raise PartialMarket(
            "this chain holds a demo market a previous run did not finish (interrupted while "
            "recording, or an older demo?); to start afresh stop the chain (`freshledger chain stop`) and "
            "remove the data directory (.freshledger, or $FRESHLEDGER_DATA_DIR)"
        )
    return state == "complete"


def scenario_size() -> int:
    """How many steps :func:`record_scenario` reports (transactions and one refusal)."""
    return (
        len(market.PARTICIPANTS)
        + len(market.HARVESTS)
        + 1  # the declaration: one transaction for its lines
        + 2 * (len(market.HARVESTS) + 1)  # to the wholesaler and accepted
        + len(market.REPACKS)
        + len(market.INSPECTIONS)
        + 2 * len(market.DELIVERIES)
        + len(market.SALES)
        + 1  # the refused hand-off
        + 1  # the recall (one transaction: three batches fit any block)
        + 3  # two notices and the floor plan
    )


def record_scenario(
    ledger: FreshLedgerContract,
    on_step: Callable[[Step], None] | None = None,
    *,
    indexed: Indexed,
    documents: DocumentStore | None = None,
    files: Path | None = None,
    deploy_block: int = 0,
) -> list[Step]:
    """Record the market; return its steps (one per transaction or expected refusal).

    `indexed` brings the database up to the chain's head and returns it: the declaration goes
    through its write queue, and the recall is traced in its index;
    `documents`, when given, keeps the photos, declaration and reports whose CIDs are recorded;
    `files` is the folder the customs declaration file is written to (a temporary one when
    None); `deploy_block` is where the declaration's check starts reading the registrations.
    """
    recorder = _Recorder(ledger, cast(), on_step, documents)
    recorder.indexed = indexed
    recorder.files = files
    recorder.deploy_block = deploy_block
    recorder.participants()
    recorder.origins(int(time.time()))
    recorder.to_wholesaler()
    recorder.repacks()
    recorder.inspections()
    recorder.deliveries()
    recorder.sales()
    recorder.refused_hand_off()
    recorder.recall(indexed())
    recorder.notices(int(time.time()))
    return recorder.steps


class _Recorder:
    """Records the chapters in order; every transaction becomes a :class:`Step`."""

    def __init__(
        self,
        ledger: FreshLedgerContract,
        who: Cast,
        on_step: Callable[[Step], None] | None,
        documents: DocumentStore | None,
    ) -> None:
        self.ledger = ledger
        self.who = who
        self.on_step = on_step
        self.documents = documents
        self.steps: list[Step] = []
        self.names = market.names()
        self.files: Path | None = None
        self.deploy_block = 0
        #: The demo's database (brought up to the chain's head): the write queue the
        #: declaration goes through, and the index the recall is traced in.
        self.indexed: Indexed | None = None

    def note(self, action: str, actor: str, detail: str, result: TxResult) -> TxResult:
        self._add(Step(action, actor, detail, result.block_number, result.gas_used))
        return result

    def _add(self, step: Step) -> None:
        self.steps.append(step)
        if self.on_step:
            self.on_step(step)

    def keep(self, paper: papers.Paper) -> bytes:
        """Store `paper` when there is a store; its binary CID, as the contract records it."""
        if self.documents is not None:
            return bytes(self.documents.put(paper.data, paper.media_type))
        return bytes(cid_of(paper.data))

    def name(self, attribute: str) -> str:
        return self.names[getattr(self.who, attribute).address]

    @contextmanager
    def folder(self) -> Iterator[Path]:
        """Where the declaration file is written: `files`, or a temporary folder."""
        if self.files is not None:
            yield self.files
            return
        with tempfile.TemporaryDirectory(prefix="freshledger-demo-") as folder:
            yield Path(folder)

    # ------------------------------------------------------------ chapters

    def participants(self) -> None:
        for attribute, role, name, identifier in market.PARTICIPANTS:
            account = getattr(self.who, attribute)
            self.note(
                "register participant",
                "market authority",
                f"{name} as {role.lower()}",
                self.ledger.register_participant(self.who.authority, account.address, role, name, identifier),
            )

    def origins(self, now: int) -> None:
        for harvest in market.HARVESTS:
            farm = self.name(harvest.farm)
            photo = papers.harvest_photo(harvest.lot, farm, harvest.product.name, harvest.leaf)
            self.note(
                "register harvest",
                farm.split(",")[0],
                f"{harvest.product.name} {harvest.lot}, {harvest.quantity} {_unit(harvest.product.unit)}, with photo",
                self.ledger.register_harvest(
                    getattr(self.who, harvest.farm),
                    gtin=harvest.product.gtin,
                    lot=harvest.lot,
                    quantity=harvest.quantity,
                    unit=harvest.product.unit,
                    harvested_at=now - harvest.hours_ago * HOUR,
                    origin=harvest.origin,
                    document_cid=self.keep(photo),
                ),
            )
        self.declaration(now)

    def declaration(self, now: int) -> None:
        """Customs records the Thai fruit declaration from its file, as a customs officer
        would with ``freshledger customs import``: checked, then through the write queue of
        the demo's database."""
        declared = market.THAI_FRUIT
        cleared_at = now - declared.hours_ago * HOUR
        paper = declaration_paper(declared, self.name("importer"), cleared_at)
        importer_gln = next(gln for attribute, _, _, gln in market.PARTICIPANTS if attribute == "importer")
        if self.indexed is None:
            raise ValueError("the declaration goes through the write queue: record_scenario needs `indexed`")
        engine = self.indexed()
        with self.folder() as folder:
            file = write_declaration(folder, declared, importer=importer_gln, cleared_at=cleared_at, paper=paper)
            _, recorded = import_declaration_file(
                file,
                self.ledger,
                self.who.customs,
                engine=engine,
                deploy_block=self.deploy_block,
                store=self.documents,
            )
        goods = ", ".join(f"{line.product.name.split(' (')[0].lower()} {line.lot}" for line in declared.lines)
        for tx_hash in recorded.transactions:
            receipt = self.ledger.client.receipt(tx_hash)
            detail = f"declaration {declared.number} from {file.name}: {goods} from TH, {len(declared.lines)} lines"
            block = int(receipt["blockNumber"]) if receipt is not None else None
            gas = int(receipt["gasUsed"]) if receipt is not None else None
            self._add(Step("register import", "Ningbo Customs", detail, block, gas))

    def to_wholesaler(self) -> None:
        senders = [(h.lot, h.farm) for h in market.HARVESTS] + [(market.DURIAN_IMPORT.lot, "importer")]
        wholesaler = self.who.wholesaler
        for lot, attribute in senders:
            sender = self.name(attribute)
            batch = lot_id(lot)
            self.note(
                "hand off",
                sender.split(",")[0],
                f"{lot} to {self.name('wholesaler')}",
                self.ledger.hand_off(getattr(self.who, attribute), batch, wholesaler.address),
            )
            self.note(
                "accept hand-off",
                self.name("wholesaler"),
                f"{lot} from {sender}",
                self.ledger.accept_hand_off(wholesaler, batch),
            )

    def repacks(self) -> None:
        for parent, parts in market.REPACKS:
            unit = _unit(market.product_of(parent).unit)
            self.note(
                "split",
                self.name("wholesaler"),
                f"{parent} into " + ", ".join(f"{lot} ({quantity} {unit})" for lot, quantity in parts),
                self.ledger.split(self.who.wholesaler, lot_id(parent), list(parts)),
            )

    def inspections(self) -> None:
        for test in market.INSPECTIONS:
            report_cid = b""
            if test.report_number:
                report = papers.lab_report(
                    [
                        ("Report no.", test.report_number),
                        ("Laboratory", f"{self.name('lab')} (CMA 2026-0417)"),
                        ("Sample", f"{market.product_of(test.lot).name}, lot {test.lot}"),
                        ("Method", "GB 23200 (pesticides), GB 5009 (Pb, Cd)"),
                        *((r.substance, f"{r.measured} {r.unit} (limit {r.limit} {r.unit})") for r in test.residues),
                        ("Conclusion", "PASS" if test.passed else "FAIL: over the legal limit"),
                    ]
                )
                report_cid = self.keep(report)
            self.note(
                "inspect",
                "Market lab",
                f"{test.lot}: {test.summary}",
                self.ledger.record_inspection(
                    self.who.lab,
                    lot_id(test.lot),
                    passed=test.passed,
                    residues=list(test.residues),
                    report_cid=report_cid,
                ),
            )

    def deliveries(self) -> None:
        wholesaler = self.who.wholesaler
        for lot, stall in market.DELIVERIES:
            stall_name = self.name(stall).split(" (")[0]
            batch = lot_id(lot)
            account = getattr(self.who, stall)
            self.note(
                "hand off",
                self.name("wholesaler"),
                f"{lot} to {stall_name}",
                self.ledger.hand_off(wholesaler, batch, account.address),
            )
            self.note("accept hand-off", stall_name, lot, self.ledger.accept_hand_off(account, batch))

    def sales(self) -> None:
        holder = dict(market.DELIVERIES)
        for lot, quantity, price in market.SALES:
            stall = holder[lot]
            product = market.product_of(lot)
            self.note(
                "sale",
                self.name(stall).split(" (")[0],
                f"{quantity} {_unit(product.unit)} {product.name} ({lot}) for CNY {price / 100:.2f}",
                self.ledger.record_sale(
                    getattr(self.who, stall), lot_id(lot), quantity=quantity, price=price, currency="CNY"
                ),
            )

    def refused_hand_off(self) -> None:
        """The wholesaler tries to ship the quarantined repack; the contract must refuse."""
        lot, stall = market.QUARANTINED_LOT, market.QUARANTINED_TO
        detail = f"{lot} to {self.name(stall).split(' (')[0]}"
        try:
            result = self.ledger.hand_off(self.who.wholesaler, lot_id(lot), getattr(self.who, stall).address)
        except ContractRevert as refusal:
            self._add(
                Step(
                    "hand off", self.name("wholesaler"), detail, None, None, f"refused by the contract: {refusal.name}"
                )
            )
            return
        raise LedgerError(f"the contract let quarantined {lot} leave in transaction {result.tx_hash}")

    def recall(self, engine: Engine) -> None:
        """The regulator's lot recall (``ledger.recall``): traced forward in the database,
        every batch made from the lot recalled on-chain, in as few transactions as fit."""
        lot = market.RECALLED_LOT
        trace = trace_forward(engine, to_hex(lot_id(lot)))
        recall = recall_lot(trace, RecallSender(self.ledger, self.who.regulator), market.RECALL_REASON)
        batches = [trace.batch, *trace.descendants]
        stalls = ", ".join(s.name or s.address for s in recall.stalls)
        detail = (
            f"{lot} traced forward: {len(batches)} batches ({', '.join(b.lot for b in batches)}), "
            f"{len(recall.sales)} sales at {stalls}"
        )
        for tx in recall.outcome.transactions:
            self._add(Step("recall", "Market Supervision Bureau", detail, tx.block_number, tx.gas_used))

    def notices(self, now: int) -> None:
        """The bureau's notice about the recalled lot, the market's opening hours, and the
        floor plan (:mod:`ledger.demo.notices`)."""
        until = now + demo_notices.NOTICE_DAYS * 24 * HOUR
        recalled = self.keep(papers.Paper(demo_notices.RECALL_NOTICE.document(), "application/json"))
        self.note(
            "publish notice",
            "Market Supervision Bureau",
            "strawberry recall, in Korean, Chinese and English",
            self.ledger.publish_notice(self.who.regulator, recalled, now, until, batch_id=lot_id(market.RECALLED_LOT)),
        )
        hours = self.keep(papers.Paper(demo_notices.HOURS_NOTICE.document(), "application/json"))
        self.note(
            "publish notice",
            "market authority",
            "opening hours",
            self.ledger.publish_notice(self.who.authority, hours, now, until),
        )
        plan = demo_notices.floor_plan(self.who)
        self.note(
            "set floor plan",
            "market authority",
            f"{len(plan.stalls)} stalls, {len(plan.empty)} empty places, the lab, {len(plan.entrances)} gates",
            self.ledger.publish_layout(
                self.who.authority, self.keep(papers.Paper(plan.document(), "application/json"))
            ),
        )


def _unit(code: str) -> str:
    return {"KGM": "kg", "H87": "each"}.get(code, code)


@dataclass(frozen=True)
class BatchRow:
    gtin: str
    lot: str
    product: str
    status: str
    remaining: int
    unit: str
    custodian: str
    sales: int


def batch_overview(ledger: FreshLedgerContract) -> list[BatchRow]:
    """The scenario's batches as the contract holds them now, custodians by name."""
    names = market.names()
    rows = []
    for lot in market.all_lots():
        product = market.product_of(lot)
        state = ledger.batch(lot_id(lot))
        custodian = names.get(state.custodian, state.custodian)
        rows.append(
            BatchRow(
                product.gtin, lot, product.name, state.status, state.remaining, state.unit, custodian, state.sale_count
            )
        )
    return rows
