"""A customs declaration file of many lines, checked and recorded end to end on the local
chain; one JSON line on stdout.

A fresh anvil (mining each transaction on arrival) with FreshLedger deployed, an importer
(a supplier, named in the file by its GLN) and a customs officer. The declaration is written
as CSV, then timed: read and bounded (``read_s``), checked against the chain as
``freshledger customs import`` does (``check_s``: the importer's registration events, the
declaration number through ``declarationLines``, every lot through batched ``eth_call``), and
recorded (``record_s``) through ``ledger.intake.record_declaration``: ``registerImports`` calls
of ``LINES_PER_CALL`` lines under the declaration's number, each run as an ``eth_call`` before
the first is sent, then sent and awaited in turn. ``declaration_1000_lines_s`` is the sum for
the default 1,000 lines; ``gas_per_line`` is the receipts' gas over the lines.
Run from the repository root: ``.venv/bin/python bench/intake.py [--lines 1000]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ledger.chain.accounts import dev_account
from ledger.chain.client import ChainClient
from ledger.chain.deploy import deploy
from ledger.chain.freshledger import FreshLedgerContract
from ledger.chain.node import LocalNode, free_port
from ledger.gs1 import make_gtin
from ledger.intake import DECLARATION, check_declaration, read_table, record_declaration
from ledger.intake.chain_state import ChainState
from ledger.intake.record import LINES_PER_CALL

IMPORTER_GLN = "6901234000047"
GTINS = [make_gtin(f"088500000{n:04d}") for n in range(1, 21)]


def declaration_csv(lines: int) -> bytes:
    rows = [
        [
            "310120261000999999",
            "CNNGB",
            "2026-11-24T09:30:00+08:00",
            IMPORTER_GLN,
            str(i),
            GTINS[i % len(GTINS)],
            f"TH-BENCH-{i:06d}",
            str(100 + i),
            "KGM",
            "TH",
            "0810600000",
            "",
        ]
        for i in range(1, lines + 1)
    ]
    text = ",".join(DECLARATION.columns) + "\r\n" + "".join(",".join(r) + "\r\n" for r in rows)
    return text.encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        node = LocalNode(Path(folder) / "anvil", port=free_port(), persist=False)
        info = node.start()
        try:
            client = ChainClient(info.rpc_url)
            deployment = deploy(client, dev_account(0))
            ledger = FreshLedgerContract(client, deployment.address)
            importer, customs = dev_account(2), dev_account(3)
            ledger.register_participant(dev_account(0), importer.address, "SUPPLIER", "Siam Fruit", IMPORTER_GLN)
            ledger.register_participant(dev_account(0), customs.address, "CUSTOMS", "Ningbo Customs", "CN-NGB")
            data = declaration_csv(args.lines)

            started = time.perf_counter()
            table = read_table(data, "csv")
            read_done = time.perf_counter()
            state = ChainState(ledger, deployment.deploy_block)
            checked = check_declaration(table, state)
            state.close()
            check_done = time.perf_counter()
            if not checked.ok:
                raise SystemExit(f"the bench declaration does not check: {checked.problems[:3]}")
            recorded = record_declaration(ledger, customs, checked.value)
            record_done = time.perf_counter()
        finally:
            node.stop()
    lines = len(recorded.batch_ids)
    total = record_done - started
    print(
        json.dumps(
            {
                f"declaration_{args.lines}_lines_s": round(total, 2),
                "read_s": round(read_done - started, 3),
                "check_s": round(check_done - read_done, 3),
                "record_s": round(record_done - check_done, 2),
                "lines": lines,
                "transactions": len(recorded.transactions),
                "gas_per_line": round(sum(t.gas_used for t in recorded.transactions) / lines),
                "lines_per_s": round(lines / total, 1),
                "file_bytes": len(data),
                "recording": f"registerImports, {LINES_PER_CALL} lines a call, every call run as an eth_call first",
            }
        )
    )


if __name__ == "__main__":
    main()
