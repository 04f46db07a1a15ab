"""Gas limits the submitter sets without an ``eth_estimateGas``: an upper bound of the gas a
packed ``recordSales`` call uses, from its call data and the contract's code as written.

An estimate is a binary search on the node: about a dozen executions of the call, a quarter
of the node's CPU under a busy stall's bulk sales. The bound costs no execution. The submitter
still runs the call once on the pending state with the bound as its gas (an ``eth_call``):
that finds a refusal as the estimate did (in-flight transactions included), and shows that the
bound suffices on that very state. When it does not (the call runs out of gas: the contract
changed, say), the submitter estimates as before.

What ``recordSales`` uses does not depend on the state it runs on, as long as it does not
revert: per batch group, one read and one write of the batch's slot (cold the first time in
the transaction, and a slot of an existing batch is never zero, so the write costs the same
whatever earlier transactions left), and per sale, one ``SaleRecorded`` log and its sale id's
hash. A batch that comes back in a later group of the same call finds its slot warm: cheaper.
"""

from __future__ import annotations

import math

from ledger.chain.abi import ContractAbi

#: Every transaction's base cost, and the call data's (EIP-2028): per zero byte and per other.
TX_GAS = 21_000
ZERO_BYTE_GAS = 4
DATA_BYTE_GAS = 16
#: EIP-7623 (Prague): a transaction pays at least TX_GAS and this per call data token (a zero
#: byte is one token, another byte four) in all; under what recordSales executes, but a bound
#: must hold on either rule.
FLOOR_TOKEN_GAS = 10

#: ``recordSales`` as the contract is written, measured on anvil with the worst case of every
#: group on a batch not touched before in the transaction (tests/intents/test_gas_bound.py
#: checks the bound on the real node): execution gas = CALL + GROUP x groups + SALE x sales +
#: groups^2 / MEMORY_DIVISOR (each group's checks leave a buffer in memory, whose cost grows
#: with the square of its size; measured about groups^2 / 10.7).
RECORD_SALES_CALL = 3_756
RECORD_SALES_GROUP = 7_656
RECORD_SALES_SALE = 3_479
RECORD_SALES_MEMORY_DIVISOR = 8
#: Headroom over the measured figures: for branches the measurements did not take (a batch
#: sold out by its group stores its new status) and for a contract rebuilt with another
#: compiler's code layout. Far under the estimate's 20% (GAS_MARGIN): a bound over what a
#: transaction uses takes block space from the transactions after it.
MARGIN_FRACTION = 0.05
MARGIN_GAS = 5_000


def intrinsic_gas(data: bytes) -> int:
    """What a transaction carrying call data `data` pays before it executes (no access list)."""
    zeros = data.count(0)
    return TX_GAS + ZERO_BYTE_GAS * zeros + DATA_BYTE_GAS * (len(data) - zeros)


def floor_gas(data: bytes) -> int:
    """The least a transaction carrying call data `data` pays under EIP-7623, whatever it executes."""
    zeros = data.count(0)
    return TX_GAS + FLOOR_TOKEN_GAS * (zeros + 4 * (len(data) - zeros))


def _word(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 32], "big")


def record_sales_gas(data: bytes) -> int:
    """An upper bound of the gas a ``recordSales`` transaction with call data `data` uses when
    it does not revert."""
    # recordSales(BatchSales[] batches), ABI-encoded after the selector: the array's offset;
    # there, its length (the groups) and each group's offset from after the length; in a
    # group (batchId, currency, firstSerial, sales), the offset of its sales, which start
    # with their count.
    array = 4 + _word(data, 4)
    groups = _word(data, array)
    sales = 0
    for n in range(groups):
        group = array + 32 + _word(data, array + 32 + 32 * n)
        sales += _word(data, group + _word(data, group + 96))
    execution = (
        RECORD_SALES_CALL
        + RECORD_SALES_GROUP * groups
        + RECORD_SALES_SALE * sales
        + math.ceil(groups * groups / RECORD_SALES_MEMORY_DIVISOR)
    )
    return max(intrinsic_gas(data) + math.ceil(execution * (1 + MARGIN_FRACTION)) + MARGIN_GAS, floor_gas(data))


def gas_bound(abi: ContractAbi, data: bytes) -> int | None:
    """The gas limit of a transaction to the contract of `abi` with call data `data` without an
    estimate, or None when only an estimate tells: every call but ``recordSales``."""
    if not abi.has_function("recordSales") or data[:4] != abi.selector("recordSales"):
        return None
    return record_sales_gas(data)
