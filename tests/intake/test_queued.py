"""queue_declaration() and queue_harvest_sheet() on a real anvil and a real database (SQLite
and PostgreSQL), submitted by a real submitter pool, with parts of a few lines so that a
short file takes several: one declaration number across the parts, in line order; a line the
contract would refuse in a later part refuses the file before anything is queued; a part the
chain refuses after the check refuses every later one and leaves a declaration the corrected
file finishes; a declaration is queued once and recorded once; an Idempotency-Key returns the
first request's intents."""

from __future__ import annotations

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from ledger.chain.deploy import Deployment
from ledger.errors import ContractRevert, FilePending, LineRefused, RecordingInterrupted
from ledger.intake import (
    DeclarationFile,
    FileRecorded,
    HarvestSheet,
    check_declaration,
    check_harvest_sheet,
    first_attempt,
    queue_declaration,
    queue_harvest_sheet,
    read_table,
    recorded_file,
)
from ledger.intake.chain_state import ChainState
from ledger.intake.payloads import DECLARATION_PART
from ledger.intake.queued import QueuedFile, pending_parts
from ledger.store.intents import KeyReused, intents_of, transactions_of
from tests.factories.intake import as_csv, declaration_rows, harvest_rows
from tests.factories.market import Market, harvest
from tests.factories.queue import events_on_chain, submit_until_final
from tests.support.databases import Databases

IMPORTER_GLN = "6901234000047"  # the market's second supplier
NUMBER = "310120261000990001"


def checked(rows: list[dict[str, str]], market: Market, deployment: Deployment) -> DeclarationFile:
    state = ChainState(market.ledger, deployment.deploy_block)
    try:
        result = check_declaration(read_table(as_csv(rows), "csv"), state)
    finally:
        state.close()
    assert result.ok, result.problems
    return result.value


def rows_of(lines: int = 7) -> list[dict[str, str]]:
    return declaration_rows(lines, number=NUMBER, importer=IMPORTER_GLN)


def submitted(
    engine: Engine, market: Market, queued: QueuedFile, account: LocalAccount | None = None
) -> FileRecorded | None:
    """Run a submitter pool of the file's sender until its intents are final; what it recorded."""
    final = submit_until_final(engine, market.ledger, [account or market.customs], queued.ids)
    return recorded_file(queued, final, market.ledger.abi)


def test_queue_declaration_in_parts_under_one_number_in_line_order(
    market: Market, deployment: Deployment, databases: Databases
) -> None:
    engine = databases.engine()
    declaration = checked(rows_of(7), market, deployment)

    queued = queue_declaration(engine, market.ledger, market.customs.address, declaration, lines_per_call=3)

    assert [i.kind for i in queued.intents] == [DECLARATION_PART] * 3
    assert [i.payload["first_line"] for i in queued.intents] == [0, 3, 6]
    assert {i.status for i in queued.intents} == {"queued"}
    recorded = submitted(engine, market, queued)
    assert recorded is not None and recorded.resumed_at == 0 and len(recorded.transactions) == 3
    assert market.ledger.declaration_lines(NUMBER) == (7, 7)
    headers = events_on_chain(market.ledger, "DeclarationRegistered")
    assert [(e.args["firstLine"], e.args["lineCount"]) for e in headers] == [(0, 7), (3, 7), (6, 7)]
    lines = events_on_chain(market.ledger, "ImportLineRegistered")
    assert [e.args["line"] for e in lines] == list(range(7))
    assert ["0x" + e.args["batchId"].hex() for e in lines] == recorded.batch_ids
    assert lines[0].args["hsCode"].rstrip(b"\0") == b"0810600000"  # the HS code is recorded
    for batch_id, line in zip(recorded.batch_ids, declaration.lines, strict=True):
        batch = market.ledger.batch(bytes.fromhex(batch_id[2:]))
        assert (batch.gtin, batch.remaining, batch.custodian) == (line.gtin, line.quantity, market.supplier2.address)
    stored = intents_of(engine, market.customs.address)
    assert [i.result["batch_ids"] for i in stored] == [
        recorded.batch_ids[0:3],
        recorded.batch_ids[3:6],
        [recorded.batch_ids[6]],
    ]
    assert [tx.status for tx in transactions_of(engine)] == ["mined"] * 3


def test_queue_declaration_refuses_a_line_of_a_later_part_before_queueing_anything(
    market: Market, deployment: Deployment, databases: Databases
) -> None:
    engine = databases.engine()
    rows = rows_of(7)
    declaration = checked(rows, market, deployment)
    # After the check, before queueing: line 6 (row 7, in the second part) becomes a batch.
    harvest(market, gtin=rows[5]["gtin"], lot=rows[5]["lot"])
    before = market.ledger.client.block_number()

    with pytest.raises(LineRefused) as refused:
        queue_declaration(engine, market.ledger, market.customs.address, declaration, lines_per_call=3)

    assert refused.value.row == 7
    assert refused.value.cause.name == "ImportLineInvalid" and refused.value.cause.index == 2  # of its part
    assert refused.value.cause.inner.name == "BatchAlreadyExists"
    assert intents_of(engine) == []  # nothing queued
    assert market.ledger.client.block_number() == before


def test_queue_declaration_part_refused_on_chain_refuses_the_rest_and_the_corrected_file_finishes(
    market: Market, deployment: Deployment, databases: Databases
) -> None:
    engine = databases.engine()
    rows = rows_of(7)
    declaration = checked(rows, market, deployment)
    queued = queue_declaration(engine, market.ledger, market.customs.address, declaration, lines_per_call=3)
    # Queued (every part passed its eth_call), not yet sent: line 5 (row 6, part 2) is taken.
    harvest(market, gtin=rows[4]["gtin"], lot=rows[4]["lot"])

    with pytest.raises(RecordingInterrupted) as stopped:
        submitted(engine, market, queued)

    assert stopped.value.row == 6
    cause = stopped.value.cause
    assert isinstance(cause, ContractRevert) and cause.name == "ImportLineInvalid"
    assert cause.index == 4 and cause.inner.name == "BatchAlreadyExists"
    assert stopped.value.recorded == queued.batch_ids[:3]
    parts = intents_of(engine, market.customs.address)
    assert [i.status for i in parts] == ["recorded", "refused", "refused"]
    assert parts[2].error["name"] == "DeclarationOutOfOrder"  # the later part cannot skip the refused one
    assert market.ledger.declaration_lines(NUMBER) == (3, 7)  # partly recorded, and the chain says so

    rows[4]["lot"] = "TH-990001-R005"
    corrected = checked(rows, market, deployment)
    finishing = queue_declaration(engine, market.ledger, market.customs.address, corrected, lines_per_call=3)
    assert finishing.resumed_at == 3 and [i.payload["first_line"] for i in finishing.intents] == [3, 6]
    finished = submitted(engine, market, finishing)

    assert finished is not None and finished.resumed_at == 3 and len(finished.transactions) == 2
    assert finished.batch_ids[:3] == stopped.value.recorded
    assert market.ledger.declaration_lines(NUMBER) == (7, 7)
    assert [e.args["line"] for e in events_on_chain(market.ledger, "ImportLineRegistered")] == list(range(7))


def test_queue_declaration_queues_a_declaration_once_and_records_it_once(
    market: Market, deployment: Deployment, databases: Databases
) -> None:
    engine = databases.engine()
    declaration = checked(rows_of(5), market, deployment)
    queued = queue_declaration(engine, market.ledger, market.customs.address, declaration, lines_per_call=2)

    for sender in (market.customs.address, market.outsider.address):  # the same declaration, anyone
        with pytest.raises(FilePending) as pending:
            queue_declaration(engine, market.ledger, sender, declaration, lines_per_call=2)
        assert pending.value.number == NUMBER and pending.value.intent_ids == queued.ids
    assert len(intents_of(engine)) == 3
    assert submitted(engine, market, queued) is not None
    before = market.ledger.client.block_number()

    for per_call in (2, 10):  # several parts or one: the first part's eth_call is refused
        with pytest.raises(ContractRevert) as exists:
            queue_declaration(engine, market.ledger, market.customs.address, declaration, lines_per_call=per_call)
        assert exists.value.name == "DeclarationExists"
    assert len(intents_of(engine)) == 3 and market.ledger.client.block_number() == before


def test_queue_declaration_with_a_key_answers_a_retry_with_the_first_intents(
    market: Market, deployment: Deployment, databases: Databases
) -> None:
    engine = databases.engine()
    rows = rows_of(5)
    data = as_csv(rows)
    declaration = checked(rows, market, deployment)
    sender = market.customs.address
    assert first_attempt(engine, sender, DECLARATION_PART, "upload-1", data, "csv") is None

    queued = queue_declaration(engine, market.ledger, sender, declaration, key="upload-1", data=data, lines_per_call=2)

    retried = first_attempt(engine, sender, DECLARATION_PART, "upload-1", data, "csv")
    assert retried is not None and not retried.created
    assert retried.ids == queued.ids and retried.batch_ids == queued.batch_ids
    with pytest.raises(KeyReused):
        first_attempt(engine, sender, DECLARATION_PART, "upload-1", as_csv(rows_of(4)), "csv")
    assert submitted(engine, market, queued) is not None
    again = first_attempt(engine, sender, DECLARATION_PART, "upload-1", data, "csv")
    assert again is not None and {i.status for i in again.intents} == {"recorded"}


def test_pending_parts_are_the_same_senders_same_declaration_only(
    market: Market, deployment: Deployment, databases: Databases
) -> None:
    engine = databases.engine()
    rows = rows_of(5)
    declaration = checked(rows, market, deployment)
    queued = queue_declaration(engine, market.ledger, market.customs.address, declaration, lines_per_call=2)

    adopted = pending_parts(engine, market.customs.address, declaration, queued.ids)
    assert adopted is not None and adopted.ids == queued.ids and adopted.batch_ids == queued.batch_ids
    assert pending_parts(engine, market.outsider.address, declaration, queued.ids) is None
    rows[3]["quantity"] = "7"
    assert pending_parts(engine, market.customs.address, checked(rows, market, deployment), queued.ids) is None


def sheet(rows: list[dict[str, str]], market: Market) -> HarvestSheet:
    state = ChainState(market.ledger, 0)
    try:
        result = check_harvest_sheet(read_table(as_csv(rows), "csv"), state)
    finally:
        state.close()
    assert result.ok, result.problems
    return result.value


def test_queue_harvest_sheet_packs_its_lots_into_one_register_harvests(market: Market, databases: Databases) -> None:
    engine = databases.engine()
    lots = sheet(harvest_rows(5, prefix="RH"), market)

    queued = queue_harvest_sheet(engine, market.ledger, market.supplier.address, lots)

    assert [i.kind for i in queued.intents] == ["harvest"] * 5
    with pytest.raises(FilePending) as pending:  # the same sheet again while it is queued
        queue_harvest_sheet(engine, market.ledger, market.supplier.address, lots)
    assert pending.value.lots == [f"RH-{n:05d}" for n in range(1, 6)]
    recorded = submitted(engine, market, queued, market.supplier)
    assert recorded is not None and len(recorded.transactions) == 1  # packed: one registerHarvests
    events = events_on_chain(market.ledger, "HarvestRegistered")
    assert ["0x" + e.args["batchId"].hex() for e in events] == recorded.batch_ids
    assert [e.args["lot"] for e in events] == [f"RH-{n:05d}" for n in range(1, 6)]
    assert {e.args["supplier"] for e in events} == {market.supplier.address}


def test_queue_harvest_sheet_refuses_a_lot_before_queueing_anything(market: Market, databases: Databases) -> None:
    engine = databases.engine()
    rows = harvest_rows(5, prefix="RX")
    lots = sheet(rows, market)
    harvest(market, gtin=rows[3]["gtin"], lot=rows[3]["lot"], supplier=market.supplier2)
    before = market.ledger.client.block_number()

    with pytest.raises(LineRefused) as refused:
        queue_harvest_sheet(engine, market.ledger, market.supplier.address, lots, lots_per_call=2)

    assert refused.value.row == 5 and refused.value.cause.name == "HarvestLotInvalid"
    assert refused.value.cause.inner.name == "BatchAlreadyExists"
    assert intents_of(engine) == [] and market.ledger.client.block_number() == before


def test_queue_harvest_sheet_lot_refused_on_chain_leaves_the_others_recorded(
    market: Market, databases: Databases
) -> None:
    engine = databases.engine()
    rows = harvest_rows(4, prefix="RY")
    queued = queue_harvest_sheet(engine, market.ledger, market.supplier.address, sheet(rows, market))
    harvest(market, gtin=rows[2]["gtin"], lot=rows[2]["lot"], supplier=market.supplier2)  # after the check

    with pytest.raises(RecordingInterrupted) as stopped:
        submitted(engine, market, queued, market.supplier)

    assert stopped.value.row == 4  # the lot of row 4, refused alone
    assert stopped.value.recorded == [b for n, b in enumerate(queued.batch_ids) if n != 2]
    assert [e.args["lot"] for e in events_on_chain(market.ledger, "HarvestRegistered")][-3:] == [
        "RY-00001",
        "RY-00002",
        "RY-00004",
    ]
