"""``freshledger customs check|import`` as a user runs them: a real process, a real chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import load
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import free_port
from ledger.documents import cid_of
from ledger.store.db import make_engine
from ledger.store.intents import intents_of
from tests.factories.intake import as_csv, as_xlsx, declaration_rows

CLI = [sys.executable, "-m", "ledger.cli"]
IMPORTER_GLN = "6901234000047"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    environment = {
        **os.environ,
        "FRESHLEDGER_DATA_DIR": str(tmp_path / "data"),
        "FRESHLEDGER_NODE_PORT": str(free_port()),
        "COLUMNS": "200",
    }
    environment.pop("FRESHLEDGER_RPC_URL", None)
    yield environment
    subprocess.run([*CLI, "chain", "stop"], env=environment, capture_output=True, timeout=60)


def run(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == code, result.stdout + result.stderr
    return result


@pytest.fixture
def ledger(env: dict[str, str]) -> FreshLedgerContract:
    """A chain and deployment through the CLI; account 2 a supplier (the importer), 3 customs."""
    run(env, "chain", "start")
    run(env, "deploy")
    data = Path(env["FRESHLEDGER_DATA_DIR"])
    client = ChainClient(json.loads((data / "chain" / "node.json").read_text())["rpc_url"])
    contract = FreshLedgerContract(client, load(client, data).address)
    admin = dev_account(0)
    contract.register_participant(admin, dev_account(2).address, "SUPPLIER", "Siam Fruit Import", IMPORTER_GLN)
    contract.register_participant(admin, dev_account(3).address, "CUSTOMS", "Ningbo Customs", "CN-NGB-3100")
    return contract


def test_customs_import_records_a_declaration_with_its_document(
    env: dict[str, str], ledger: FreshLedgerContract, tmp_path: Path
) -> None:
    paper = tmp_path / "papers" / "declaration.pdf"
    paper.parent.mkdir()
    paper.write_bytes(b"%PDF-1.7 customs declaration 310120261000800001")
    rows = declaration_rows(3, number="310120261000800001", importer=IMPORTER_GLN, document="papers/declaration.pdf")
    file = tmp_path / "declaration.xlsx"
    file.write_bytes(as_xlsx(rows))

    before = ledger.client.block_number()
    checked = run(env, "customs", "check", str(file))
    assert "declaration 310120261000800001 with 3 lines is ready to record" in checked.stdout
    assert ledger.client.block_number() == before  # check sends nothing

    imported = run(env, "customs", "import", str(file), "--account", "3")

    lines = imported.stdout.strip().splitlines()
    assert lines[0].startswith("line 1: lot TH-800001-0001 of GTIN 08850000000010: batch 0x")
    assert lines[-1].startswith("declaration 310120261000800001: 3 lines recorded in blocks")
    batch_id = bytes.fromhex(lines[0].rsplit("0x", 1)[1])
    batch = ledger.batch(batch_id)
    assert (batch.custodian, batch.remaining) == (dev_account(2).address, 101)
    stored = Path(env["FRESHLEDGER_DATA_DIR"]) / "documents"
    cid = str(cid_of(paper.read_bytes()))
    assert any(cid in p.name for p in stored.rglob("*")), "the document was stored before recording"

    queue = make_engine(f"sqlite:///{Path(env['FRESHLEDGER_DATA_DIR']) / 'freshledger.db'}")
    (part,) = intents_of(queue)  # through the write queue of the default database
    assert (part.kind, part.status) == ("declaration_part", "recorded")
    assert part.result["batch_ids"][0] == "0x" + batch_id.hex()
    queue.dispose()

    again = run(env, "customs", "import", str(file), "--account", "3", code=1)
    assert "declaration_number: declaration 310120261000800001 is already recorded" in again.stdout
    assert "nothing recorded" in again.stderr


def test_customs_check_prints_one_line_per_problem_and_records_nothing(
    env: dict[str, str], ledger: FreshLedgerContract, tmp_path: Path
) -> None:
    rows = declaration_rows(4, number="310120261000900001", importer=IMPORTER_GLN)
    rows[0]["gtin"] = "08850000000011"
    rows[1]["origin_country"] = "XX"
    rows[2]["document"] = "missing.pdf"
    rows[3]["line"] = "3"
    file = tmp_path / "bad.csv"
    file.write_bytes(as_csv(rows))
    before = ledger.client.block_number()

    for command in (["check", str(file)], ["import", str(file), "--account", "3"]):
        result = run(env, "customs", *command, code=1)
        assert result.stdout.splitlines() == [
            f"{file}:2: gtin: '08850000000011' has a wrong check digit: GS1's mod-10 check digit is 0",
            f"{file}:3: origin_country: 'XX' is not an ISO 3166-1 alpha-2 country code",
            f"{file}:4: document: neither a CID nor a file: {tmp_path / 'missing.pdf'} does not exist",
            f"{file}:5: line: line 3 is also on row 4",
        ]
        assert f"{file}: 4 problems; nothing recorded" in result.stderr
        assert "Traceback" not in result.stderr
    assert ledger.client.block_number() == before


def test_customs_import_needs_a_signer_and_a_known_format(
    env: dict[str, str], ledger: FreshLedgerContract, tmp_path: Path
) -> None:
    file = tmp_path / "declaration.csv"
    file.write_bytes(as_csv(declaration_rows(1, importer=IMPORTER_GLN)))
    assert "--account" in run(env, "customs", "import", str(file), code=2).stderr
    odd = tmp_path / "declaration.ods"
    odd.write_bytes(b"x")
    assert ".csv, .xlsx or .json" in run(env, "customs", "check", str(odd), code=2).stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    result = run(env, "customs", "check", str(broken), code=1)
    assert f"{broken}: not an XLSX workbook (not a zip archive)" in result.stdout
