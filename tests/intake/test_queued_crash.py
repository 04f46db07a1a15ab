"""kill -9 of a real ``freshledger submit`` while it records a declaration of several parts,
at each step of a transaction's life, then a restart: every part is recorded exactly once,
in line order, counted against the chain (the submitter's own crash tests are
tests/intents/test_crash.py, whose process this reuses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.intake import check_declaration, queue_declaration, read_table, recorded_file
from ledger.intake.chain_state import ChainState
from ledger.intents.crash import STEPS
from ledger.store.intents import final_among, get_intents, transactions_of
from tests.factories.chain import Chain, data_dir_with_keys
from tests.factories.intake import as_csv, declaration_rows
from tests.factories.queue import events_on_chain, submit_process, wait_final
from tests.support.databases import Databases

NUMBER = "310120261000130001"
LINES = 8


# SQLite only: the submitter's crash tests cover both databases; this one is about the parts.
@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
@pytest.mark.parametrize("step", STEPS)
def test_kill_9_mid_declaration_records_every_part_exactly_once(
    chain: Chain, databases: Databases, tmp_path: Path, step: str
) -> None:
    market = chain.market
    url = databases.url()
    engine = databases.engine(url)
    data = data_dir_with_keys(chain.deployment, tmp_path, market.customs)
    rows = declaration_rows(LINES, number=NUMBER, importer=market.supplier2.address)
    state = ChainState(market.ledger, chain.deployment.deploy_block)
    checked = check_declaration(read_table(as_csv(rows), "csv"), state)
    state.close()
    queued = queue_declaration(engine, market.ledger, market.customs.address, checked.value, lines_per_call=3)
    ids = queued.ids
    assert len(ids) == 3

    crashed = submit_process(chain, data, url, crash_at=step)
    assert crashed.wait(timeout=60) == -9, crashed.stderr.read().decode() if crashed.stderr else ""
    assert len(final_among(engine, ids)) < len(ids)  # it died mid-declaration
    restarted = submit_process(chain, data, url, crash_at=None)
    try:
        wait_final(engine, ids, timeout=60)
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)

    recorded = recorded_file(queued, get_intents(engine, ids), market.ledger.abi)
    assert recorded is not None and len(recorded.transactions) == 3
    assert market.ledger.declaration_lines(NUMBER) == (LINES, LINES)
    lines = events_on_chain(market.ledger, "ImportLineRegistered")
    assert [e.args["line"] for e in lines] == list(range(LINES))  # none lost, none doubled
    assert ["0x" + e.args["batchId"].hex() for e in lines] == recorded.batch_ids
    headers = events_on_chain(market.ledger, "DeclarationRegistered")
    assert [e.args["firstLine"] for e in headers] == [0, 3, 6]
    txs = transactions_of(engine)
    assert [tx.status for tx in txs] == ["mined"] * 3 and sorted(tx.tx_hash for tx in txs) == sorted(
        recorded.transactions
    )
