"""``freshledger epcis`` as a user runs it: real processes, a real local chain, the indexer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import load
from ledger.chain.freshledger import FreshLedgerContract, batch_id_of
from ledger.chain.node import free_port
from ledger.epcis.identifiers import lot_uri
from ledger.epcis.validate import validate_document
from ledger.epcis.vocabulary import CONTEXT
from tests.epcis.test_validate import INVALID

CLI = [sys.executable, "-m", "ledger.cli"]
GTIN = "06901234000016"
FARM_GLN, WHOLESALER_GLN = "6901234000016", "6901234000047"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    environment = {
        **os.environ,
        "FRESHLEDGER_DATA_DIR": str(tmp_path / "data"),
        "FRESHLEDGER_NODE_PORT": str(free_port()),
        "FRESHLEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'index.db'}",
        "COLUMNS": "160",
    }
    environment.pop("FRESHLEDGER_RPC_URL", None)
    yield environment
    subprocess.run([*CLI, "chain", "stop"], env=environment, capture_output=True, timeout=60)


def run(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == code, result.stdout + result.stderr
    return result


def _market(env: dict[str, str]) -> FreshLedgerContract:
    """Start and deploy through the CLI; admit dev accounts 1 and 2 as suppliers."""
    run(env, "chain", "start")
    run(env, "deploy")
    data = Path(env["FRESHLEDGER_DATA_DIR"])
    client = ChainClient(json.loads((data / "chain" / "node.json").read_text())["rpc_url"])
    ledger = FreshLedgerContract(client, load(client, data).address)
    ledger.register_participant(dev_account(0), dev_account(1).address, "SUPPLIER", "Green Valley Farm", FARM_GLN)
    ledger.register_participant(dev_account(0), dev_account(2).address, "SUPPLIER", "West Lake", WHOLESALER_GLN)
    return ledger


def _write(path: Path, *events: dict[str, Any]) -> Path:
    when = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="seconds")
    document = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": when,
        "epcisBody": {"eventList": [{"eventTime": when, "eventTimeZoneOffset": "+00:00", **e} for e in events]},
    }
    path.write_text(json.dumps(document))
    return path


HARVEST = {
    "type": "ObjectEvent",
    "action": "ADD",
    "bizStep": "commissioning",
    "epcList": [],
    "quantityList": [{"epcClass": lot_uri(GTIN, "CLI-01"), "quantity": 80, "uom": "KGM"}],
    "bizLocation": {"id": f"https://id.gs1.org/414/{FARM_GLN}"},
}
SHIPPING = {
    "type": "ObjectEvent",
    "action": "OBSERVE",
    "bizStep": "shipping",
    "quantityList": [{"epcClass": lot_uri(GTIN, "CLI-01")}],
    # The recipient by its GLN: resolved through the indexer's participants table.
    "destinationList": [{"type": "owning_party", "destination": f"https://id.gs1.org/417/{WHOLESALER_GLN}"}],
}


def test_capture_then_index_then_export(env: dict[str, str], tmp_path: Path) -> None:
    ledger = _market(env)
    captured = json.loads(
        run(env, "epcis", "capture", str(_write(tmp_path / "h.json", HARVEST)), "--account", "1").stdout
    )
    assert captured["participant"] == dev_account(1).address
    (event,) = captured["events"]
    assert event["status"] == "recorded", event
    state = ledger.batch(batch_id_of(GTIN, "CLI-01"))
    assert (state.status, state.custodian, state.remaining) == ("active", dev_account(1).address, 80)

    run(env, "index", "--once", "--quiet")
    shipped = json.loads(
        run(env, "epcis", "capture", str(_write(tmp_path / "s.json", SHIPPING)), "--account", "1").stdout
    )
    assert shipped["events"][0]["status"] == "recorded", shipped
    assert ledger.batch(batch_id_of(GTIN, "CLI-01")).pending_recipient == dev_account(2).address

    run(env, "index", "--once", "--quiet")
    document = json.loads(run(env, "epcis", "export", "--lot", "CLI-01").stdout)
    assert validate_document(document) == []
    events = document["epcisBody"]["eventList"]
    assert [e["bizStep"] for e in events] == ["commissioning", "shipping"]
    assert events[0]["bizLocation"] == {"id": f"https://id.gs1.org/414/{FARM_GLN}"}
    assert events[0]["quantityList"] == HARVEST["quantityList"]

    by_gtin = json.loads(run(env, "epcis", "export", "--gtin", GTIN, "--since", "2000-01-01").stdout)
    assert len(by_gtin["epcisBody"]["eventList"]) == 2
    past = json.loads(run(env, "epcis", "export", "--until", "2000-01-01T00:00:00Z").stdout)
    assert past["epcisBody"]["eventList"] == []
    assert "no batch with lot NOPE" in run(env, "epcis", "export", "--lot", "NOPE", code=1).stderr


def test_capture_refuses_an_invalid_document_and_an_unknown_signer(env: dict[str, str], tmp_path: Path) -> None:
    invalid = next(p for p in INVALID if p.name == "ObjectEvent_with_non_standard_bizStep.json")
    refused = run(env, "epcis", "capture", str(invalid), "--account", "1", code=1)
    assert "/epcisBody/eventList/0/bizStep" in refused.stderr
    assert "transforming" in refused.stderr
    _market(env)
    anonymous = run(env, "epcis", "capture", str(_write(tmp_path / "h.json", HARVEST)), code=2)
    assert "--account" in anonymous.stderr
    # An outsider may not harvest: the contract refuses, the command says so and exits 1.
    refusal = run(env, "epcis", "capture", str(_write(tmp_path / "h.json", HARVEST)), "--account", "3", code=1)
    (event,) = json.loads(refusal.stdout)["events"]
    assert (event["status"], event["error"]) == ("failed", "ParticipantNotRegistered")


def test_validate_names_every_bad_field(env: dict[str, str]) -> None:
    invalid = next(p for p in INVALID if p.name == "Combination_of_multiple_invalid_fields.json")
    lines = run(env, "epcis", "validate", str(invalid), code=1).stdout.splitlines()
    assert len(lines) == 6
    assert any(line.startswith("/epcisBody/eventList/4/eventTime:") for line in lines)
    valid = invalid.parent.parent / "valid" / "SensorDataExample1.jsonld"
    assert "valid EPCIS 2.0" in run(env, "epcis", "validate", str(valid)).stdout
