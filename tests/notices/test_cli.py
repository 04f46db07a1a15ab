"""``freshledger notice publish`` as a regulator runs it: a real process against a real chain,
the text stored in the data directory's document store under the CID the event carries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ledger.chain.deploy import save
from ledger.documents import open_store
from ledger.keys import KeyStore
from ledger.notices import NoticeText
from ledger.store.db import make_engine
from ledger.store.intents import transaction_intents
from tests.factories.chain import Chain
from tests.factories.market import harvest

CLI = [sys.executable, "-m", "ledger.cli", "notice", "publish"]


def run(chain: Chain, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRESHLEDGER_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    env.pop("FRESHLEDGER_KEYSTORE_PASSWORD", None)
    env.pop("FRESHLEDGER_IPFS_API", None)
    command = [*CLI, "--rpc-url", chain.node.rpc_url, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_notice_publish_stores_the_text_and_publishes_its_cid(chain: Chain, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    save(chain.deployment, data_dir)
    regulator = chain.market.regulator
    KeyStore(data_dir / "keystores", "freshledger-development").create(regulator.key)
    lot = "CLI-NOTICE-1"
    harvest(chain.market, lot=lot)
    done = run(
        chain,
        data_dir,
        "--title-en", "Lot withdrawn", "--body-en", "Bring it back.",
        "--title-zh", "批次下架", "--body-zh", "请退回。",
        "--hours", "2", "--gtin", "06901234000016", "--lot", lot,
        "--author", regulator.address,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    text = NoticeText.parse(open_store(data_dir).get(answer["cid"]))
    assert text.title == {"zh": "批次下架", "en": "Lot withdrawn"}
    receipt = chain.market.ledger.client.receipt(answer["transaction_hash"])
    assert receipt is not None
    # Sent through the write queue of the data directory's database, like every write.
    engine = make_engine(f"sqlite:///{data_dir / 'freshledger.db'}")
    (intent,) = transaction_intents(engine, answer["transaction_hash"])
    engine.dispose()
    assert (intent.kind, intent.status, intent.sender) == ("notice", "recorded", regulator.address)


def test_notice_publish_names_the_contracts_refusal(chain: Chain, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    save(chain.deployment, data_dir)
    vendor = chain.market.vendor
    KeyStore(data_dir / "keystores", "freshledger-development").create(vendor.key)
    refused = run(chain, data_dir, "--title-en", "T", "--body-en", "B", "--hours", "1", "--author", vendor.address)
    assert refused.returncode != 0
    assert "NoticeAuthorUnauthorized" in refused.stderr + refused.stdout


def test_notice_publish_refuses_bad_input_with_a_message(chain: Chain, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    save(chain.deployment, data_dir)
    head = chain.market.ledger.client.block_number()
    for args, says in (
        (["--title-en", "T", "--hours", "1", "--author", chain.market.regulator.address], "at least one language"),
        (["--title-en", "T", "--body-en", "B", "--author", chain.market.regulator.address], "--until or --hours"),
        (["--title-en", "T", "--body-en", "B", "--until", "2001-01-01"], "over already"),
        (["--title-en", "T", "--body-en", "B", "--hours", "1"], "--author ADDRESS or --keystore"),
        (["--title-en", "T", "--body-en", "B", "--hours", "1", "--gtin", "06901234000016"], "both --gtin and --lot"),
    ):
        refused = run(chain, data_dir, *args)
        assert refused.returncode == 2, (args, refused.stdout)
        assert says in refused.stderr, (args, refused.stderr)
    assert chain.market.ledger.client.block_number() == head
