"""The broker's generated password file and ACL: a scale publishes only its own weighings and
reads only its own replies and blocks; anything else is refused by Mosquitto itself."""

from __future__ import annotations

import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ledger.scales import protocol
from ledger.scales.broker import Credentials, parse_mqtt_url
from ledger.scales.mqtt import connect
from tests.scales.conftest import ScaleRig, wait_until


def test_a_scale_publishing_under_another_stalls_topic_is_refused_by_the_broker(rig: ScaleRig) -> None:
    vendor, other = rig.market.vendor, rig.market.vendor2
    mine = rig.config.add_scale(vendor.address, "s1")
    rig.config.add_scale(other.address, "s1")
    rig.broker.reload()
    # The gateway's view of the weighings topics, to see what got through.
    seen: list[str] = []
    gateway = connect("acl-watch", rig.config.gateway(), rig.broker.url)
    subscribed = threading.Event()
    gateway.on_connect = lambda c, u, f, r, p: c.subscribe(protocol.ALL_WEIGHINGS, qos=1)
    gateway.on_subscribe = lambda c, u, mid, codes, p: subscribed.set()
    gateway.on_message = lambda c, u, m: seen.append(m.topic)
    gateway.loop_start()
    assert subscribed.wait(10)

    acks: dict[int, int] = {}
    granted: dict[int, list[int]] = {}
    scale = connect("acl-scale", mine.credentials, rig.broker.url)
    scale.on_publish = lambda c, u, mid, reason, p: acks.__setitem__(mid, reason.value)
    scale.on_subscribe = lambda c, u, mid, codes, p: granted.__setitem__(mid, [code.value for code in codes])
    scale.loop_start()
    try:
        wait_until(scale.is_connected, 10, "scale connected")
        own = scale.publish(protocol.weighings_topic(vendor.address, "s1"), b"{}", qos=1).mid
        foreign = scale.publish(protocol.weighings_topic(other.address, "s1"), b"{}", qos=1).mid
        other_scale = scale.publish(protocol.weighings_topic(vendor.address, "s2"), b"{}", qos=1).mid
        replies_forged = scale.publish(protocol.replies_topic(vendor.address, "s1"), b"{}", qos=1).mid
        wait_until(lambda: len(acks) == 4, 10, "four PUBACKs")
        assert acks[own] == 0
        assert acks[foreign] == acks[other_scale] == acks[replies_forged] == 135  # Not authorized
        # Mosquitto grants a subscription and then delivers only what the ACL lets it read.
        got: list[str] = []
        scale.on_message = lambda c, u, m: got.append(m.topic)
        scale.subscribe([(protocol.replies_topic(vendor.address, "s1"), 1), ("freshledger/#", 1)])
        wait_until(lambda: granted, 10, "SUBACK")
        gateway.publish(protocol.replies_topic(other.address, "s1"), b"{}", qos=1)
        gateway.publish(protocol.blocks_topic(other.address, "s1"), b"{}", qos=1)
        gateway.publish(protocol.replies_topic(vendor.address, "s1"), b"{}", qos=1)
        wait_until(lambda: got, 10, "the scale's own reply")
        time.sleep(0.5)
        assert set(got) == {protocol.replies_topic(vendor.address, "s1")}  # once per matching subscription
        wait_until(lambda: seen, 5, "the scale's own weighing")
        assert seen == [protocol.weighings_topic(vendor.address, "s1")]
    finally:
        scale.loop_stop()
        gateway.loop_stop()


def test_wrong_password_and_anonymous_clients_are_refused(rig: ScaleRig) -> None:
    entry = rig.config.add_scale(rig.market.vendor.address, "s1")
    rig.broker.reload()
    for credentials in (Credentials(entry.credentials.username, "guess"), None):
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="intruder", protocol=mqtt.MQTTv5)
        if credentials:
            client.username_pw_set(credentials.username, credentials.password)
        codes: list[int] = []
        client.on_connect = lambda c, u, f, reason, p, codes=codes: codes.append(reason.value)
        host, port = parse_mqtt_url(rig.broker.url)
        client.connect(host, port)
        client.loop_start()
        try:
            wait_until(lambda codes=codes: codes, 10, "CONNACK")
        finally:
            client.loop_stop()
        assert codes[0] in (134, 135)  # Bad user name or password / Not authorized
