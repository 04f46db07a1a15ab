"""Receipts before the block: a scale's receipt names its sale's serial, reserved when the
weighing was stored, before anything is on the chain; the chain then records the sale under
exactly that serial, or refuses it and the scale gets a void of the receipt (the serial is
never given to another sale); a gateway killed with -9 answers a resent weighing with the
same receipt, and the weighing is still one sale.

The gateway runs with ``--no-submit`` so that the test decides when the sales reach the chain
(a submitter pool of the test sends them): what the scale holds before is all the gateway
answered on acceptance alone."""

from __future__ import annotations

import time

import orjson

from ledger.chain.freshledger import sale_id_of
from ledger.digital_link import parse_path
from ledger.intents.accept import request_hash
from ledger.queries.batches import get_batch
from ledger.scales import protocol
from ledger.store.intents import NewIntent, add_intents
from ledger.store.scales import known_weighings, weighing_count
from tests.factories.market import at_stall
from tests.factories.queue import submit_until_final
from tests.scales.conftest import PUBLIC_HOST, ScaleRig, wait_until


def intent_ids(rig: ScaleRig, scale_id: str, seqs: list[int]) -> list[int]:
    keys = [(rig.market.vendor.address, scale_id, seq) for seq in seqs]
    found = known_weighings(rig.engine, keys)
    return [found[key].intent_id for key in keys]  # type: ignore[misc]


def test_the_receipt_comes_before_the_block_and_names_the_sale_the_chain_records(rig: ScaleRig) -> None:
    batch_id = at_stall(rig.market, quantity=100)
    rig.map_plu(rig.market.vendor, 1, batch_id)
    rig.start_gateway("--no-submit")
    scale = rig.scale(rig.market.vendor, "front")
    sent = [scale.weigh(1, n, "KGM", 1000) for n in (1, 2, 3)]
    wait_until(lambda: scale.unanswered() == 0, 60, "every weighing answered")
    receipts = [scale.answers()[w.seq] for w in sent]
    assert [r["type"] for r in receipts] == ["receipt"] * 3
    assert rig.sales_on_chain() == []  # nothing sent to the chain yet
    assert [r["serial"] for r in receipts] == [1, 2, 3]
    assert [r["block_number"] for r in receipts] == [None] * 3
    for receipt in receipts:
        link = parse_path(receipt["digital_link"].removeprefix(f"https://{PUBLIC_HOST}"))
        assert link.serial == str(receipt["serial"])
        assert receipt["sale_id"] == "0x" + sale_id_of(batch_id, receipt["serial"]).hex()

    ids = intent_ids(rig, "front", [w.seq for w in sent])
    final = submit_until_final(rig.engine, rig.ledger, [rig.market.vendor], ids)
    assert [final[i].status for i in ids] == ["recorded"] * 3
    assert [final[i].result["serial"] for i in ids] == [1, 2, 3]  # type: ignore[index]
    assert [final[i].result["sale_id"] for i in ids] == [r["sale_id"] for r in receipts]  # type: ignore[index]
    assert sorted(rig.sales_on_chain()) == [1, 2, 3]
    time.sleep(1.5)  # a settled sale sends nothing more: the receipts stand
    assert [scale.answers()[w.seq]["type"] for w in sent] == ["receipt"] * 3


def test_a_sale_the_chain_refuses_voids_its_receipt_and_its_serial_stays_unused(rig: ScaleRig) -> None:
    batch_id = at_stall(rig.market, quantity=100)
    other = at_stall(rig.market, quantity=100)
    rig.map_plu(rig.market.vendor, 1, batch_id)
    rig.map_plu(rig.market.vendor, 2, other)
    rig.start_gateway("--no-submit")
    scale = rig.scale(rig.market.vendor, "front")
    doomed, kept = scale.weigh(1, 2, "KGM", 1000), scale.weigh(2, 1, "KGM", 1000)
    wait_until(lambda: scale.unanswered() == 0, 60, "both answered")
    receipt = scale.answers()[doomed.seq]
    assert (receipt["type"], receipt["serial"]) == ("receipt", 1)
    # The lot is recalled after the receipt was printed and before the sale reached the chain.
    rig.ledger.recall(rig.market.regulator, [batch_id], "Listeria found in the packing house")
    ids = intent_ids(rig, "front", [doomed.seq, kept.seq])
    final = submit_until_final(rig.engine, rig.ledger, [rig.market.vendor], ids)
    assert [final[i].status for i in ids] == ["refused", "recorded"]
    assert final[ids[0]].error["name"] == "BatchRecalled"  # type: ignore[index]

    wait_until(lambda: scale.answers()[doomed.seq]["type"] == "void", 30, "the receipt voided")
    void = scale.answers()[doomed.seq]
    assert (void["serial"], void["digital_link"], void["reason"]) == (1, receipt["digital_link"], "BatchRecalled")
    assert doomed.seq in scale.voided_at
    assert scale.answers()[kept.seq]["type"] == "receipt"  # the other lot's sale stands
    assert rig.ledger.batch(batch_id).sale_count == 0  # serial 1 of the lot: never used
    # A resend of the voided weighing is answered with the void, and sells nothing.
    replies: list[dict] = []
    topic = protocol.replies_topic(rig.market.vendor.address, "front")
    scale.client.message_callback_add(topic, lambda c, u, m: replies.append(orjson.loads(m.payload)))
    scale.client.publish(protocol.weighings_topic(rig.market.vendor.address, "front"), doomed.payload(), qos=1)
    wait_until(lambda: any(r.get("seq") == doomed.seq for r in replies), 30, "the resend answered")
    assert [r["type"] for r in replies if r.get("seq") == doomed.seq] == ["void"]
    assert weighing_count(rig.engine) == 2


def test_a_gateway_killed_with_9_answers_a_resend_with_the_same_receipt(rig: ScaleRig) -> None:
    batch_id = at_stall(rig.market, quantity=100)
    rig.map_plu(rig.market.vendor, 1, batch_id)
    rig.start_gateway("--no-submit")
    scale = rig.scale(rig.market.vendor, "front")
    first = scale.weigh(1, 1, "KGM", 1000)
    wait_until(lambda: scale.unanswered() == 0, 60, "answered")
    receipt = scale.answers()[first.seq]
    rig.kill_gateway()
    rig.start_gateway("--no-submit")
    replies: list[dict] = []
    topic = protocol.replies_topic(rig.market.vendor.address, "front")
    scale.client.message_callback_add(topic, lambda c, u, m: replies.append(orjson.loads(m.payload)))
    # The scale sends the weighing again (as it does when an answer does not come).
    scale.client.publish(protocol.weighings_topic(rig.market.vendor.address, "front"), first.payload(), qos=1)
    wait_until(lambda: any(r.get("seq") == first.seq for r in replies), 60, "the resend answered")
    again = next(r for r in replies if r.get("seq") == first.seq)
    assert again == receipt  # the same serial, the same Digital Link: byte for byte the same answer
    scale.client.message_callback_remove(topic)  # the scale reads its replies itself again
    second = scale.weigh(1, 1, "KGM", 1000)
    wait_until(lambda: second.seq in scale.answers(), 60, "the next weighing answered")
    assert scale.answers()[second.seq]["serial"] == 2  # the lot's counter went on
    ids = intent_ids(rig, "front", [first.seq, second.seq])
    final = submit_until_final(rig.engine, rig.ledger, [rig.market.vendor], ids)
    assert [final[i].result["serial"] for i in ids] == [1, 2]  # type: ignore[index]
    assert sorted(rig.sales_on_chain()) == [1, 2]  # one sale a weighing
    assert weighing_count(rig.engine) == 2


def test_a_weighing_stored_before_a_crash_under_another_mapping_keeps_its_first_sale(rig: ScaleRig) -> None:
    first_lot, second_lot = at_stall(rig.market, quantity=100), at_stall(rig.market, quantity=100)
    vendor = rig.market.vendor
    rig.map_plu(vendor, 1, first_lot)
    # A gateway killed after storing the weighing's sale intent, before its row: the intent is there.
    payload = {"batch_id": "0x" + first_lot.hex(), "quantity": 1, "price": 1000, "currency": "CNY"}
    (stored,) = add_intents(
        rig.engine, vendor.address, "sale", [NewIntent(payload, "scale/front/1", request_hash("sale", payload))]
    )
    rig.map_plu(vendor, 1, second_lot)  # the key moved to another lot meanwhile
    rig.start_gateway("--no-submit")
    scale = rig.scale(vendor, "front")
    weighing = scale.weigh(1, 1, "KGM", 1000)  # the scale's first weighing: sequence number 1
    wait_until(lambda: scale.unanswered() == 0, 60, "answered")
    receipt = scale.answers()[weighing.seq]
    first, _ = get_batch(rig.engine, "0x" + first_lot.hex())
    assert (receipt["lot"], receipt["serial"]) == (first.lot, stored[0].payload["serial"])  # its own sale's lot
    assert receipt["sale_id"] == "0x" + sale_id_of(first_lot, receipt["serial"]).hex()
