"""IndexState answers the checks from the indexed database, on SQLite and PostgreSQL: a
declaration partly recorded (its line count from its DeclarationRegistered) is one the same
file finishes, a whole one is named for the 409; lines recorded one call each are a whole
declaration with no line count."""

from __future__ import annotations

from ledger.chain.freshledger import Declaration, ImportLine
from ledger.intake import check_declaration, queue_declaration, read_table, recorded_file
from ledger.intake.index_state import IndexState
from ledger.queries.declarations import get_declaration
from tests.factories.chain import Chain, make_indexer
from tests.factories.intake import as_csv, declaration_rows
from tests.factories.queue import submit_until_final
from tests.support.databases import Databases

NUMBER = "310120261000990101"


def test_index_state_sees_a_declaration_partly_then_wholly_recorded(chain: Chain, databases: Databases) -> None:
    market, engine = chain.market, databases.engine()
    indexer = make_indexer(chain, engine)
    indexer.sync()  # the participants
    rows = declaration_rows(5, number=NUMBER, importer=market.supplier2.address)
    state = IndexState(engine)
    first = check_declaration(read_table(as_csv(rows), "csv"), state)
    assert first.ok, first.problems

    # The first call of the declaration is mined, the rest not (yet).
    declaration = first.value
    header = Declaration(
        NUMBER, declaration.entry_port, declaration.cleared_at, declaration.importer, line_count=len(declaration.lines)
    )
    lines = [ImportLine(x.gtin, x.lot, x.quantity, x.unit, x.origin_country, x.hs_code) for x in declaration.lines]
    market.ledger.register_imports(market.customs, header, lines[:2])
    indexer.sync()

    partly = state.declaration(NUMBER)
    assert partly is not None and (partly.lines, partly.line_count, partly.complete) == (2, 5, False)
    assert partly.lots == tuple((r["gtin"], r["lot"]) for r in rows[:2])
    again = check_declaration(read_table(as_csv(rows), "csv"), state)
    assert again.ok and again.recorded is None, again.problems
    queued = queue_declaration(engine, market.ledger, market.customs.address, again.value, lines_per_call=2)
    final = submit_until_final(engine, market.ledger, [market.customs], queued.ids)
    finished = recorded_file(queued, final, market.ledger.abi)
    assert finished is not None and finished.resumed_at == 2
    indexer.sync()

    whole = state.declaration(NUMBER)
    assert whole is not None and whole.complete and (whole.lines, whole.line_count) == (5, 5)
    view = get_declaration(engine, NUMBER)
    assert view is not None and [line.line for line in view.lines] == list(range(5))
    assert view.tx_hash == whole.tx_hash and view.line_count == 5
    refused = check_declaration(read_table(as_csv(rows), "csv"), state)
    assert refused.recorded == whole and not refused.ok


def test_index_state_lines_recorded_one_call_each_are_a_whole_declaration(chain: Chain, databases: Databases) -> None:
    market, engine = chain.market, databases.engine()
    (row,) = declaration_rows(1, number=NUMBER)
    market.ledger.register_import(
        market.customs,
        gtin=row["gtin"],
        lot=row["lot"],
        quantity=5,
        unit="KGM",
        importer=market.supplier2.address,
        origin_country="TH",
        declaration_number=NUMBER,
        cleared_at=1_700_000_000,
        entry_port="CNNGB",
    )
    make_indexer(chain, engine).sync()
    found = IndexState(engine).declaration(NUMBER)
    assert found is not None and found.complete and (found.lines, found.line_count) == (1, None)
