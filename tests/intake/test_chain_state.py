"""ChainState answers the checks from a real anvil: participants by address and GLN (from
the registration events), declarations by number (declarationLines and the declaration's
events), lots (from the batch view); and a checked declaration is recorded as checked."""

from __future__ import annotations

from ledger.chain.deploy import Deployment
from ledger.chain.freshledger import Declaration, ImportLine
from ledger.intake import check_declaration, read_table
from ledger.intake.chain_state import ChainState
from tests.factories.intake import as_csv, declaration_rows
from tests.factories.market import Market


def test_chain_state_knows_participants_by_address_and_gln(market: Market, deployment: Deployment) -> None:
    state = ChainState(market.ledger, deployment.deploy_block)
    (farm,) = state.participants(market.supplier.address)
    assert (farm.address, farm.roles, farm.suspended) == (market.supplier.address, 1, False)
    (wholesaler,) = state.participants("6901234000047")
    assert wholesaler.address == market.supplier2.address
    assert state.participants(market.outsider.address) == []
    assert state.participants("6901234000993") == []
    market.ledger.suspend_participant(market.admin, market.supplier2.address, "licence lapsed")
    (suspended,) = ChainState(market.ledger, deployment.deploy_block).participants(market.supplier2.address)
    assert suspended.suspended


def test_chain_state_checks_and_records_a_declaration(market: Market, deployment: Deployment) -> None:
    rows = declaration_rows(3, number="310120261000700001", importer="6901234000047")
    state = ChainState(market.ledger, deployment.deploy_block)
    checked = check_declaration(read_table(as_csv(rows), "csv"), state)
    assert checked.ok, checked.problems
    assert checked.value.importer == market.supplier2.address
    assert state.declaration("310120261000700001") is None

    declaration = checked.value
    header = Declaration(
        declaration.number, declaration.entry_port, declaration.cleared_at, declaration.importer, line_count=3
    )
    lines = [ImportLine(x.gtin, x.lot, x.quantity, x.unit, x.origin_country, x.hs_code) for x in declaration.lines]
    recorded = market.ledger.register_imports(market.customs, header, lines)  # one registerImports

    found = state.declaration("310120261000700001")
    assert (found.tx_hash, found.block_number, found.lines, found.line_count) == (
        recorded.tx_hash,
        recorded.block_number,
        3,
        3,
    )
    assert found.lots == tuple((line.gtin, line.lot) for line in checked.value.lines)
    again = check_declaration(read_table(as_csv(rows), "csv"), state)
    assert again.recorded == found and not again.ok
    other = declaration_rows(3, number="310120261000700002", importer=market.supplier2.address)
    other[0]["lot"] = rows[2]["lot"]
    other[0]["gtin"] = rows[2]["gtin"]
    refused = check_declaration(read_table(as_csv(other), "csv"), state)
    assert [(p.row, p.column) for p in refused.problems] == [(2, "lot")]
    assert "already registered" in refused.problems[0].reason
