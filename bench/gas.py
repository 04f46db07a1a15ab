"""Gas used per life-cycle step: FreshLedger against a naive baseline, as one JSON line.

Starts a fresh in-memory anvil, deploys FreshLedger and ``bench/contracts/NaiveBatchRegistry.sol``
(same compiler and settings), runs the nine steps of :mod:`bench.scenario` on each with the
same inputs, and prints one JSON object to stdout: FreshLedger's gas per step at the top
level (``register_harvest``, ..., ``recall_1``), the same under ``freshledger``, the
baseline under ``naive``, their ratios, and the issue's targets. The batch calls of
:mod:`bench.batches` follow on FreshLedger alone (the baseline has none): gas per item of a
100-item call, at the top level (``record_sales_100_per_sale``, ...) and in ``targets``. Gas is the receipt's
``gasUsed``: the 21,000 intrinsic cost and calldata included, refunds deducted.

Run from the repository root: ``.venv/bin/python bench/gas.py`` or ``make bench-gas``.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import batches
from bench.drivers import FreshLedgerDriver, NaiveDriver, compile_naive
from bench.scenario import STEPS, cast, run
from ledger.chain.client import ChainClient
from ledger.chain.compile import EVM_VERSION, compiler_version
from ledger.chain.node import LocalNode, free_port, rpc


@dataclass(frozen=True)
class Target:
    """An upper bound on the gas of one step or the sum of several."""

    name: str
    steps: tuple[str, ...]
    max_gas: int

    def check(self, gas: dict[str, int]) -> dict[str, Any]:
        """The bound, the measured value and whether it is met."""
        value = sum(gas[step] for step in self.steps)
        return {"max": self.max_gas, "value": value, "met": value <= self.max_gas}


TARGETS = (
    Target("register_harvest", ("register_harvest",), 60_000),
    Target("hand_off+accept_hand_off", ("hand_off", "accept_hand_off"), 70_000),
    Target("record_sale", ("record_sale",), 45_000),
)


def measure() -> dict[str, Any]:
    """Run the benchmark on a throw-away node; return the report."""
    naive_compiled = compile_naive()
    who = cast()
    with tempfile.TemporaryDirectory(prefix="freshledger-bench-") as state_dir:
        node = LocalNode(state_dir=Path(state_dir), persist=False, port=free_port())
        try:
            info = node.start()
            client = ChainClient(info.rpc_url)
            freshledger = FreshLedgerDriver(client, who.authority)
            naive = NaiveDriver(client, who.authority, naive_compiled)
            now = int(client.w3.eth.get_block("latest")["timestamp"])
            fresh_gas = run(freshledger, who, now)
            naive_gas = run(naive, who, now)
            batch_gas = batches.measure(freshledger.ledger, who, now)
            node_info = rpc(info.rpc_url, "anvil_nodeInfo")
            hardfork = str(node_info.get("hardFork", "unknown")) if isinstance(node_info, dict) else "unknown"
        finally:
            node.stop()
    return report(fresh_gas, naive_gas, batch_gas, hardfork=hardfork)


def report(fresh: dict[str, int], naive: dict[str, int], batch: dict[str, int], *, hardfork: str) -> dict[str, Any]:
    """The JSON object: FreshLedger's steps at the top level, then the comparison."""
    batch_targets = {
        name: {"max": bound, "value": batch[name], "met": batch[name] <= bound}
        for name, bound in batches.BOUNDS.items()
    }
    return {
        **fresh,
        **batch,
        "freshledger": fresh,
        "naive": naive,
        "ratio_naive_over_freshledger": {step: round(naive[step] / fresh[step], 2) for step in STEPS},
        "total_ratio": round(sum(naive.values()) / sum(fresh.values()), 2),
        "targets": {**{target.name: target.check(fresh) for target in TARGETS}, **batch_targets},
        "solc": compiler_version(),
        "evm_version": EVM_VERSION,
        "hardfork": hardfork,
    }


def main() -> int:
    """Print the report as one JSON line; anything else that is printed goes to stderr."""
    with contextlib.redirect_stdout(sys.stderr):
        result = measure()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
