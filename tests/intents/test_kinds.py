"""Packing: which queued intents share a transaction, the batch call's arguments, and how a
packed transaction's events are shared out among its intents."""

from __future__ import annotations

from ledger.chain.abi import ContractAbi
from ledger.chain.freshledger import code
from ledger.intents.kinds import kind_of, leading_group

A, B = "0x" + "aa" * 32, "0x" + "bb" * 32


def sale(batch: str, quantity: int, currency: str = "CNY") -> dict:
    return {"batch_id": batch, "quantity": quantity, "price": quantity * 100, "currency": currency}


def event(name: str, **args: object) -> dict:
    return {"name": name, "log_index": 0, "args": args}


def abi_with(*functions: str) -> ContractAbi:
    return ContractAbi([{"type": "function", "name": f, "inputs": [], "outputs": []} for f in functions])


def test_record_sales_groups_consecutive_sales_of_one_batch_and_currency_in_order() -> None:
    payloads = [sale(A, 1), sale(A, 2), sale(B, 3), sale(A, 4), sale(A, 5, "USD")]
    function, (groups,) = kind_of("sale").call(payloads)
    assert function == "recordSales"
    assert groups == [
        (bytes.fromhex("aa" * 32), code("CNY", 3), 0, [(1, 100), (2, 200)]),
        (bytes.fromhex("bb" * 32), code("CNY", 3), 0, [(3, 300)]),
        (bytes.fromhex("aa" * 32), code("CNY", 3), 0, [(4, 400)]),
        (bytes.fromhex("aa" * 32), code("USD", 3), 0, [(5, 500)]),
    ]


def serialed(batch: str, quantity: int, serial: int) -> dict:
    return {**sale(batch, quantity), "serial": serial}


def test_sales_with_reserved_serials_group_only_while_the_serials_follow_each_other() -> None:
    payloads = [serialed(A, 1, 4), serialed(A, 2, 5), serialed(A, 3, 7), serialed(B, 4, 1), serialed(A, 5, 8)]
    function, (groups,) = kind_of("sale").call(payloads)
    assert function == "recordSales"
    assert [(g[0][:1], g[2], [q for q, _ in g[3]]) for g in groups] == [
        (b"\xaa", 4, [1, 2]),
        (b"\xaa", 7, [3]),  # 6 was reserved for a sale that is not here (refused): a gap
        (b"\xbb", 1, [4]),
        (b"\xaa", 8, [5]),
    ]


def test_a_lone_sale_with_a_reserved_serial_still_goes_through_record_sales() -> None:
    # recordSale takes the batch's next serial; only recordSales pins the reserved one.
    function, (groups,) = kind_of("sale").call([serialed(A, 7, 12)])
    assert function == "recordSales"
    assert groups == [(bytes.fromhex("aa" * 32), code("CNY", 3), 12, [(7, 700)])]


def test_a_lone_intent_uses_the_single_call() -> None:
    function, args = kind_of("sale").call([sale(A, 7)])
    assert function == "recordSale"
    assert args == [bytes.fromhex("aa" * 32), 7, 700, code("CNY", 3)]


def test_packed_sales_share_their_sale_events_in_order() -> None:
    events = [event("SaleRecorded", saleId=f"0x{n:064x}", serial=n, batchId=A) for n in (1, 2, 3)]
    shares = kind_of("sale").share([sale(A, 1), sale(A, 1), sale(A, 1)], events)
    assert [[e["args"]["serial"] for e in share] for share in shares] == [[1], [2], [3]]
    ids = kind_of("sale").ids(sale(A, 1), shares[1])
    assert ids == {"batch_ids": [A], "sale_id": f"0x{2:064x}", "serial": 2}


def test_recalls_pack_while_the_reason_is_the_same() -> None:
    recall = kind_of("recall")
    payloads = [{"batch_ids": [A], "reason": "x"}, {"batch_ids": [B], "reason": "x"}, {"batch_ids": [A], "reason": "y"}]
    abi = abi_with("recall")
    assert leading_group(recall, abi, payloads, [0, 0, 0]) == 2
    assert leading_group(recall, abi, payloads, [1, 0, 0]) == 1  # its group reverted on-chain: alone now
    assert leading_group(recall, abi, payloads, [0, 1, 0]) == 1
    function, args = recall.call(payloads[:2])
    assert (function, args) == ("recall", [[bytes.fromhex("aa" * 32), bytes.fromhex("bb" * 32)], "x"])


def test_sales_go_one_a_transaction_on_a_contract_without_record_sales() -> None:
    payloads = [sale(A, 1)] * 5
    assert leading_group(kind_of("sale"), abi_with("recordSale"), payloads, [0] * 5) == 1
    assert leading_group(kind_of("sale"), abi_with("recordSale", "recordSales"), payloads, [0] * 5) == 5
    assert leading_group(kind_of("harvest"), abi_with("registerHarvest"), [{}] * 3, [0] * 3) == 1


def harvest(lot: str, quantity: int = 10) -> dict:
    return {
        "gtin": "06901234000016",
        "lot": lot,
        "quantity": quantity,
        "unit": "KGM",
        "harvested_at": 1_764_000_000,
        "origin": "geo:30.2336,119.7248",
        "document_cid": None,
    }


def test_register_harvests_takes_the_lots_in_the_order_of_their_intents() -> None:
    kind = kind_of("harvest")
    payloads = [harvest("GV-1", 5), harvest("GV-2", 7)]
    assert kind.packs(abi_with("registerHarvest", "registerHarvests"))
    assert leading_group(kind, abi_with("registerHarvest", "registerHarvests"), payloads, [0, 0]) == 2
    function, (lots,) = kind.call(payloads)
    assert function == "registerHarvests"
    assert lots == [
        (6901234000016, "GV-1", 5, code("KGM", 3), 1_764_000_000, "geo:30.2336,119.7248", b""),
        (6901234000016, "GV-2", 7, code("KGM", 3), 1_764_000_000, "geo:30.2336,119.7248", b""),
    ]
    assert kind.call(payloads[:1])[0] == "registerHarvest"  # a lone intent: the single call
    events = [event("HarvestRegistered", batchId=b) for b in (A, B)]
    shares = kind.share(payloads, events)
    assert [kind.ids(p, share) for p, share in zip(payloads, shares, strict=True)] == [
        {"batch_ids": [A]},
        {"batch_ids": [B]},
    ]
