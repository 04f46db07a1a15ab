"""Paho MQTT clients as the gateway and the scales use them: MQTT 5, a persistent session
(the broker keeps subscriptions and queued QoS 1 messages while a client is away), automatic
reconnection."""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ledger.scales.broker import Credentials, parse_mqtt_url

#: How long the broker keeps a session of a client that is away: a day.
SESSION_EXPIRY_S = 86_400


def connect(client_id: str, credentials: Credentials, url: str, *, manual_ack: bool = False) -> mqtt.Client:
    """A client connected (asynchronously: call ``loop_start``) to the broker at `url`."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=manual_ack)
    client.username_pw_set(credentials.username, credentials.password)
    client.reconnect_delay_set(min_delay=0.1, max_delay=2)
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(0)  # unbounded: sent once the broker is back
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = SESSION_EXPIRY_S
    host, port = parse_mqtt_url(url)
    client.connect_async(host, port, keepalive=5, clean_start=False, properties=properties)
    return client
