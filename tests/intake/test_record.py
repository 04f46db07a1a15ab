"""record_declaration() and record_harvests() on a real anvil, with calls of a few lines so
that a short file takes several: one declaration number across the calls, a line the
contract would refuse in a later call refuses the file before anything is sent, a refusal
or a crash between calls leaves a declaration that the same file finishes, a call mined by
an attempt whose answer was lost is not sent twice, and a finished declaration is never
recorded again."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from eth_account.signers.local import LocalAccount

from ledger.chain.client import TxResult
from ledger.chain.deploy import Deployment
from ledger.chain.freshledger import Declaration, FreshLedgerContract, ImportLine
from ledger.errors import ContractRevert, LineRefused, RecordingInterrupted
from ledger.intake import (
    DeclarationFile,
    HarvestSheet,
    check_declaration,
    check_harvest_sheet,
    read_table,
    record_declaration,
    record_harvests,
)
from ledger.intake.chain_state import ChainState
from tests.factories.intake import as_csv, declaration_rows, harvest_rows
from tests.factories.market import Market, harvest
from tests.factories.queue import events_on_chain

IMPORTER_GLN = "6901234000047"  # the market's second supplier
NUMBER = "310120261000990001"


class Killed(BaseException):
    """The process dies here (not an error anything in the ledger catches)."""


class Meddling(FreshLedgerContract):
    """The real contract; `after(n)` runs once the n-th ``registerImports`` call is mined."""

    def __init__(self, ledger: FreshLedgerContract, after: Callable[[int], None]) -> None:
        super().__init__(ledger.client, ledger.address, ledger.abi)
        self.after = after
        self.calls = 0

    def register_imports(
        self, customs: LocalAccount, declaration: Declaration, lines: Sequence[ImportLine], *, first_line: int = 0
    ) -> TxResult:
        result = super().register_imports(customs, declaration, lines, first_line=first_line)
        self.calls += 1
        self.after(self.calls)
        return result


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


def test_record_declaration_in_several_calls_under_one_number(market: Market, deployment: Deployment) -> None:
    declaration = checked(rows_of(7), market, deployment)

    recorded = record_declaration(market.ledger, market.customs, declaration, lines_per_call=3)

    assert len(recorded.transactions) == 3 and recorded.resumed_at == 0
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


def test_record_declaration_refuses_a_line_of_a_later_call_before_sending_anything(
    market: Market, deployment: Deployment
) -> None:
    rows = rows_of(7)
    declaration = checked(rows, market, deployment)
    # After the check, before the recording: line 6 (row 7, in the second call) becomes a batch.
    harvest(market, gtin=rows[5]["gtin"], lot=rows[5]["lot"])
    before = market.ledger.client.block_number()

    with pytest.raises(LineRefused) as refused:
        record_declaration(market.ledger, market.customs, declaration, lines_per_call=3)

    assert refused.value.row == 7
    assert refused.value.cause.name == "ImportLineInvalid" and refused.value.cause.index == 2  # of its call
    assert refused.value.cause.inner.name == "BatchAlreadyExists"
    assert market.ledger.client.block_number() == before  # nothing sent
    assert market.ledger.declaration_lines(NUMBER) == (0, 0)


def test_record_declaration_refused_between_calls_is_finished_by_the_corrected_file(
    market: Market, deployment: Deployment
) -> None:
    rows = rows_of(7)
    declaration = checked(rows, market, deployment)

    def race(call: int) -> None:  # once the first call is mined, line 5 (row 6) becomes a batch
        if call == 1:
            harvest(market, gtin=rows[4]["gtin"], lot=rows[4]["lot"])

    with pytest.raises(RecordingInterrupted) as stopped:
        record_declaration(Meddling(market.ledger, race), market.customs, declaration, lines_per_call=3)

    assert stopped.value.row == 6
    assert isinstance(stopped.value.cause, ContractRevert) and stopped.value.cause.inner.name == "BatchAlreadyExists"
    assert len(stopped.value.recorded) == 3
    assert market.ledger.declaration_lines(NUMBER) == (3, 7)  # partly recorded, and the chain says so

    state = ChainState(market.ledger, deployment.deploy_block)
    partial = state.declaration(NUMBER)
    assert partial is not None and (partial.lines, partial.line_count, partial.complete) == (3, 7, False)
    assert partial.lots[0] == (rows[0]["gtin"], rows[0]["lot"])
    unchanged = check_declaration(read_table(as_csv(rows), "csv"), state)
    assert [(p.row, p.column) for p in unchanged.problems] == [(6, "lot")]  # the lot taken meanwhile
    rows[4]["lot"] = "TH-990001-R005"
    corrected = check_declaration(read_table(as_csv(rows), "csv"), state)
    assert corrected.ok and corrected.recorded is None, corrected.problems

    finished = record_declaration(market.ledger, market.customs, corrected.value, lines_per_call=3)

    assert finished.resumed_at == 3 and len(finished.transactions) == 2
    assert finished.batch_ids[:3] == stopped.value.recorded
    assert market.ledger.declaration_lines(NUMBER) == (7, 7)
    assert [e.args["line"] for e in events_on_chain(market.ledger, "ImportLineRegistered")] == list(range(7))
    whole = state.declaration(NUMBER)
    assert whole is not None and whole.complete and whole.lines == 7
    again = check_declaration(read_table(as_csv(rows), "csv"), state)
    assert again.recorded == whole and not again.ok  # the API answers 409 naming it
    state.close()


def test_record_declaration_resumes_after_a_crash_between_calls(market: Market, deployment: Deployment) -> None:
    rows = rows_of(8)
    declaration = checked(rows, market, deployment)

    def crash(call: int) -> None:
        if call == 2:
            raise Killed

    with pytest.raises(Killed):
        record_declaration(Meddling(market.ledger, crash), market.customs, declaration, lines_per_call=3)
    assert market.ledger.declaration_lines(NUMBER) == (6, 8)

    # The next process checks the same file again (the recorded lines are its own) and finishes.
    again = checked(rows, market, deployment)
    finished = record_declaration(market.ledger, market.customs, again, lines_per_call=3)

    assert finished.resumed_at == 6 and len(finished.transactions) == 1
    assert market.ledger.declaration_lines(NUMBER) == (8, 8)
    lines = events_on_chain(market.ledger, "ImportLineRegistered")
    assert [e.args["line"] for e in lines] == list(range(8))  # every line once
    assert ["0x" + e.args["batchId"].hex() for e in lines] == finished.batch_ids


def test_record_declaration_goes_on_after_a_call_mined_by_an_attempt_whose_answer_was_lost(
    market: Market, deployment: Deployment
) -> None:
    declaration = checked(rows_of(7), market, deployment)

    class LostAnswer(FreshLedgerContract):
        """The second call is mined twice over: once by an attempt whose answer never came
        (the contract then refuses the resend as out of order)."""

        def register_imports(
            self, customs: LocalAccount, header: Declaration, lines: Sequence[ImportLine], *, first_line: int = 0
        ) -> TxResult:
            if first_line == 3:
                super().register_imports(customs, header, lines, first_line=first_line)
            return super().register_imports(customs, header, lines, first_line=first_line)

    ledger = LostAnswer(market.ledger.client, market.ledger.address, market.ledger.abi)
    recorded = record_declaration(ledger, market.customs, declaration, lines_per_call=3)

    assert len(recorded.transactions) == 2  # its own: the first and the last call
    assert market.ledger.declaration_lines(NUMBER) == (7, 7)
    assert [e.args["line"] for e in events_on_chain(market.ledger, "ImportLineRegistered")] == list(range(7))


def test_record_declaration_never_records_a_declaration_twice(market: Market, deployment: Deployment) -> None:
    declaration = checked(rows_of(5), market, deployment)
    record_declaration(market.ledger, market.customs, declaration, lines_per_call=2)
    before = market.ledger.client.block_number()

    for per_call in (2, 10):  # several calls (refused at the eth_call) or one
        with pytest.raises(ContractRevert) as exists:
            record_declaration(market.ledger, market.customs, declaration, lines_per_call=per_call)
        assert exists.value.name == "DeclarationExists"
    assert market.ledger.client.block_number() == before


def sheet(rows: list[dict[str, str]], market: Market) -> HarvestSheet:
    state = ChainState(market.ledger, 0)
    try:
        result = check_harvest_sheet(read_table(as_csv(rows), "csv"), state)
    finally:
        state.close()
    assert result.ok, result.problems
    return result.value


def test_record_harvests_in_calls_of_a_few_lots(market: Market) -> None:
    lots = sheet(harvest_rows(5, prefix="RH"), market)

    recorded = record_harvests(market.ledger, market.supplier, lots, lots_per_call=2)

    assert len(recorded.transactions) == 3
    events = events_on_chain(market.ledger, "HarvestRegistered")
    assert ["0x" + e.args["batchId"].hex() for e in events] == recorded.batch_ids
    assert [e.args["lot"] for e in events] == [f"RH-{n:05d}" for n in range(1, 6)]
    assert {e.args["supplier"] for e in events} == {market.supplier.address}


def test_record_harvests_refuses_a_lot_of_a_later_call_before_sending_anything(market: Market) -> None:
    rows = harvest_rows(5, prefix="RX")
    lots = sheet(rows, market)
    harvest(market, gtin=rows[3]["gtin"], lot=rows[3]["lot"], supplier=market.supplier2)
    before = market.ledger.client.block_number()

    with pytest.raises(LineRefused) as refused:
        record_harvests(market.ledger, market.supplier, lots, lots_per_call=2)

    assert refused.value.row == 5 and refused.value.cause.name == "HarvestLotInvalid"
    assert market.ledger.client.block_number() == before
