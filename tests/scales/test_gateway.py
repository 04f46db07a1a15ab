"""Weighings become sales: each answered with the receipt of exactly its sale (its Digital
Link, printable as the label PNG and as ESC/POS bytes); unmapped keys and hostile payloads are
refused without a sale, and the gateway carries on."""

from __future__ import annotations

import base64
import io
import time
from typing import Any

import orjson
import zxingcpp
from PIL import Image

from ledger.digital_link import parse_path
from ledger.scales import protocol
from ledger.scales.simulator import receipt_png, receipt_text
from ledger.store.scales import weighing_count
from tests.factories.market import at_stall
from tests.scales.conftest import PUBLIC_HOST, ScaleRig, wait_until


def test_each_weighing_is_one_sale_answered_with_its_receipt(rig: ScaleRig) -> None:
    batch_id = at_stall(rig.market, quantity=100)
    rig.map_plu(rig.market.vendor, 1, batch_id)
    rig.start_gateway()
    scale = rig.scale(rig.market.vendor, "front")
    sent = [scale.weigh(1, 2, "KGM", 1250) for _ in range(3)] + [scale.weigh(1, 3000, "GRM", 1000)]
    wait_until(lambda: scale.unanswered() == 0, 60, "every weighing answered")
    answers = scale.answers()
    assert [answers[w.seq]["type"] for w in sent] == ["receipt"] * 4
    wait_until(lambda: len(rig.sales_on_chain()) >= 4, 60, "the sales on the chain")  # they follow the receipts
    assert sorted(rig.sales_on_chain()) == [1, 2, 3, 4]
    links = set()
    for weighing in sent:
        receipt = answers[weighing.seq]
        assert receipt["stall"]["address"] == rig.market.vendor.address
        assert receipt["price"] == weighing.total and receipt["currency"] == "CNY"
        link = parse_path(receipt["digital_link"].removeprefix(f"https://{PUBLIC_HOST}"))
        assert link.serial == str(receipt["serial"]) and link.lot == receipt["lot"]
        links.add(receipt["digital_link"])
        # The ESC/POS bytes carry the same link for the printer's own QR code.
        assert receipt["digital_link"].encode() in base64.b64decode(receipt["escpos"])
    assert [answers[w.seq]["quantity"] for w in sent] == [2, 2, 2, 3]  # 3000 g of a lot counted in kg
    assert len(links) == 4  # one link per sale, no other
    png = receipt_png(answers[sent[0].seq])
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [d.text for d in decoded] == [answers[sent[0].seq]["digital_link"]]
    assert answers[sent[0].seq]["digital_link"] in receipt_text(answers[sent[0].seq])
    assert weighing_count(rig.engine) == 4


def test_unmapped_keys_and_hostile_payloads_are_refused_without_a_sale(rig: ScaleRig) -> None:
    batch_id = at_stall(rig.market, quantity=100)
    rig.map_plu(rig.market.vendor, 1, batch_id)
    rig.start_gateway()
    scale = rig.scale(rig.market.vendor, "s1")
    unmapped = scale.weigh(9, 1, "KGM", 1000)
    not_whole = scale.weigh(1, 1500, "GRM", 1000)
    wait_until(lambda: scale.unanswered() == 0, 60, "both answered")
    answers = scale.answers()
    assert answers[unmapped.seq]["reason"] == "PluNotMapped"
    assert answers[not_whole.seq]["reason"] == "WeightNotWhole"
    # Raw payloads under the scale's own topic (its own credentials): refused, the gateway lives on.
    replies: list[dict] = []
    # The scale resends a weighing still unanswered after its resend interval, and each resend
    # is answered again: on a slow machine a second answer of the two weighings above can
    # arrive here. Only the answers to the payloads below are counted.
    earlier = {unmapped.seq, not_whole.seq}

    def on_reply(_client: object, _userdata: object, message: Any) -> None:
        reply = orjson.loads(message.payload)
        if reply.get("seq") not in earlier:
            replies.append(reply)

    scale.client.message_callback_add(protocol.replies_topic(rig.market.vendor.address, "s1"), on_reply)
    topic = protocol.weighings_topic(rig.market.vendor.address, "s1")
    good = protocol.Weighing("s1", 99, 1, 1, "KGM", 1000, 1000, "CNY", "2026-12-06T07:00:00+00:00").to_json()
    hostile = [
        b"[" * 1000,  # deep (the broker cuts the connection of a client sending over 4 kB)
        b"x" * 2000,
        b"not json",
        orjson.dumps({**good, "seq": "99"}),
        orjson.dumps({**good, "extra": {"a": [1]}}),
        orjson.dumps({**good, "total": 5}),
        orjson.dumps({**good, "scale_id": "other"}),
        orjson.dumps({**good, "v": 2}),
    ]
    for payload in hostile:
        scale.client.publish(topic, payload, qos=1)
    wait_until(lambda: len(replies) >= len(hostile), 20, "a refusal of each")
    time.sleep(0.5)
    assert {r["type"] for r in replies} == {"refusal"}
    expected = ["InvalidPayload", "PayloadTooLarge", "InvalidPayload", "InvalidField", "InvalidPayload"]
    expected += ["TotalMismatch", "InvalidField", "UnsupportedVersion"]
    assert sorted(r["reason"] for r in replies) == sorted(expected)
    scale.client.message_callback_remove(protocol.replies_topic(rig.market.vendor.address, "s1"))
    after = scale.weigh(1, 1, "KGM", 1000)
    wait_until(lambda: scale.unanswered() == 0, 60, "the gateway still answers")
    assert scale.answers()[after.seq]["type"] == "receipt"
    wait_until(lambda: rig.sales_on_chain(), 60, "the sale on the chain")  # it follows the receipt
    assert rig.sales_on_chain() == [1]
