"""Webhooks as a port scanner, attacked: every spelling of a loopback, private, link-local,
shared, multicast or reserved target is refused at registration (422 naming the URL and the
reason, nothing stored) and again at delivery (DNS may change after registration: the
address checked is the address connected to); redirects are not followed; the delivery log
keeps the outcome class only; secrets are sealed at rest and shown once."""

from __future__ import annotations

import ipaddress
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import Engine, inspect, select, text

from api.settings import ApiSettings
from ledger.chain.node import free_port
from ledger.errors import WebhookKeyError, WebhookTargetRefused
from ledger.notify import SIGNATURE_HEADER, Notifier, TargetPolicy, load_secret_box, verify_signature
from ledger.notify.secret_box import KEY_FILE, SecretBox
from ledger.notify.targets import refusal
from ledger.store import models
from ledger.store.db import alembic_config, make_engine
from ledger.store.webhooks import (
    create_webhook,
    enqueue_delivery,
    list_deliveries,
    list_webhooks,
    seal_clear_secrets,
    webhook_secrets,
)
from tests.api.conftest import Market, api_market, cast  # noqa: F401 (module fixtures)
from tests.notify.receiver import Receiver, receiver
from tests.security.live_sale import Scan, scan  # noqa: F401 (module fixture)
from tests.support.databases import Databases

#: (URL, words the refusal must say): each spelling reaches a host no vendor may target.
HOSTILE = [
    ("http://127.0.0.1:5432/", "loopback"),
    ("http://localhost:8545/", "loopback"),
    ("http://2130706433/", "loopback"),  # 127.0.0.1 as one decimal number
    ("http://0177.0.0.1/", "loopback"),  # octal
    ("http://0x7f.1/", "loopback"),  # hex, two parts
    ("http://0x7f000001/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://0/", "unspecified"),
    ("http://0.0.0.0:8000/", "unspecified"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://255.255.255.255/", "reserved"),
    ("http://198.18.0.1/", "benchmarking"),
    ("http://[::1]:5432/", "loopback"),
    ("http://[::]/", "unspecified"),
    ("http://[fc00::1]/", "private"),
    ("http://[fd12:3456::1]/", "private"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[ff02::1]/", "multicast"),
    ("http://[::ffff:127.0.0.1]/", "IPv4-mapped loopback"),
    ("http://[::ffff:7f00:1]/", "IPv4-mapped loopback"),
    ("http://[::ffff:169.254.169.254]/", "IPv4-mapped link-local"),
    ("http://[::127.0.0.1]/", "IPv4-compatible"),
    ("http://[64:ff9b::10.0.0.1]/", "NAT64 private"),
    ("http://[64:ff9b::7f00:1]/", "NAT64 loopback"),
    ("http://[2002:7f00:1::1]/", "6to4 loopback"),
    ("http://[2001:db8::1]/", "documentation"),
    ("HTTP://LOCALHOST./", "loopback"),
]
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("url", "reason"), HOSTILE)
def test_check_url_refuses_every_spelling_of_a_non_public_target(url: str, reason: str) -> None:
    with pytest.raises(WebhookTargetRefused) as refused:
        TargetPolicy().check_url(url)
    assert reason in refused.value.reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_unicast_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None
    host = f"[{address}]" if ":" in address else address
    TargetPolicy().check_url(f"https://{host}/hook")


def test_a_name_that_does_not_resolve_yet_is_registered_and_checked_at_delivery() -> None:
    TargetPolicy().check_url("https://stall-a12.example/hook")  # .example never resolves


def test_the_allow_list_takes_hosts_and_cidrs_and_nothing_else() -> None:
    policy = TargetPolicy.parse(" 127.0.0.1 , hooks.internal., 10.20.0.0/16,fd00:1::/64 ")
    for url in ("http://127.0.0.1:9/", "http://10.20.3.4/", "http://[fd00:1::5]/", "http://[::ffff:127.0.0.1]/"):
        policy.check_url(url)
    policy.check_addresses("http://hooks.internal/", "hooks.internal", [ipaddress.ip_address("10.9.9.9")])
    for url in ("http://10.21.0.1/", "http://127.0.0.2/", "http://169.254.169.254/"):
        with pytest.raises(WebhookTargetRefused):
            policy.check_url(url)
    for wrong in ("10.0.0.0/33", "not a host", "a/b"):
        with pytest.raises(ValueError, match="FRESHLEDGER_WEBHOOK_ALLOW"):
            TargetPolicy.parse(wrong)
    with pytest.raises(ValueError, match="FRESHLEDGER_WEBHOOK_ALLOW"):
        ApiSettings(webhook_allow="10.0.0.0/8,<script>")  # a wrong setting stops the start


# ------------------------------------------------------------------ registration (API)


@pytest.mark.parametrize(("url", "reason"), HOSTILE[:1] + HOSTILE[2:7] + HOSTILE[12:14] + HOSTILE[24:25])
def test_registration_refuses_internal_targets_with_422_and_stores_nothing(
    api_market: Market,  # noqa: F811
    cast: dict,  # noqa: F811
    scan: Scan,  # noqa: F811
    url: str,
    reason: str,
) -> None:
    m, key = api_market, cast["vendor"][1]
    before = m.client.get("/webhooks", headers=m.auth(key)).json()["count"]

    answer = m.client.post("/webhooks", json={"url": url}, headers=m.auth(key))

    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body", "url"] and reason in problem["msg"]
    assert m.client.get("/webhooks", headers=m.auth(key)).json()["count"] == before
    scan()


def test_the_secret_is_shown_once_and_kept_sealed(api_market: Market, cast: dict, scan: Scan) -> None:  # noqa: F811
    m, key = api_market, cast["vendor2"][1]
    created = m.client.post("/webhooks", json={"url": "https://b03.example/hook"}, headers=m.auth(key)).json()
    services = m.client.app.state.services

    listed = m.client.get("/webhooks", headers=m.auth(key))
    assert created["secret"] not in listed.text and "secret" not in listed.json()["data"][0]
    with services.engine.connect() as conn:
        sealed = conn.execute(text("SELECT sealed_secret FROM webhooks WHERE webhook_id = :id"), {"id": created["id"]})
        stored = sealed.scalar_one()
    assert created["secret"] not in stored and not stored.startswith("whsec_")
    assert services.webhook_box.open(stored) == created["secret"]
    key_file = services.settings.data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    scan()


# ------------------------------------------------------------------ delivery (notifier)


@pytest.fixture
def engine(databases: Databases) -> Engine:
    return databases.engine()


@pytest.fixture
def inbox() -> Iterator[Receiver]:
    with receiver() as served:
        yield served


def queue(engine: Engine, box: SecretBox, url: str) -> tuple[str, str]:
    """A webhook stored as it was registered (its check passed then) and one due delivery;
    return (webhook id, secret)."""
    record, secret = create_webhook(engine, box, "0x" + "a1" * 20, url, None, 0)
    assert enqueue_delivery(engine, record.webhook_id, "0x" + "0f" * 32, 7, '{"type":"recall.issued"}', 0)
    return record.webhook_id, secret


def test_delivery_to_an_address_that_is_no_longer_allowed_is_blocked(
    engine: Engine, inbox: Receiver, tmp_path: Path
) -> None:
    box = load_secret_box(tmp_path)
    port = inbox.base_url.rsplit(":", 1)[1]
    queue(engine, box, f"http://localhost:{port}/moved")  # localhost now: as a DNS change would make it

    notifier = Notifier(engine, box=box, clock=lambda: 10)  # no allow-list
    assert notifier.deliver_due() == (0, 1, 0)
    notifier.close()

    assert inbox.requests == []
    (delivery,) = list_deliveries(engine)
    assert (delivery.status, delivery.last_outcome) == ("pending", "blocked")


def test_the_address_checked_is_the_address_connected_to(
    engine: Engine, inbox: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name answers an allowed address once, then a refused one. The
    notifier resolves once per connection and connects to what it checked."""
    box = load_secret_box(tmp_path)
    port = int(inbox.base_url.rsplit(":", 1)[1])
    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2"])
    asked: list[str] = []
    real = socket.getaddrinfo

    def rebinding(host: str, *args: object, **kwargs: object) -> list:
        if host != "rebind.test":
            return real(host, *args, **kwargs)  # type: ignore[arg-type]
        asked.append(address := next(answers))
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    hook_id, secret = queue(engine, box, f"http://rebind.test:{port}/hook")
    clock = [10]
    notifier = Notifier(engine, box=box, targets=TargetPolicy.parse("127.0.0.1"), clock=lambda: clock[0])

    assert notifier.deliver_due() == (1, 0, 0)  # resolved once, to 127.0.0.1: allowed, connected there
    assert asked == ["127.0.0.1"]
    (message,) = inbox.requests
    assert message.headers["Host"] == f"rebind.test:{port}"  # the URL's name, not the address
    assert verify_signature(secret, message.body, message.headers[SIGNATURE_HEADER], now=10)

    assert enqueue_delivery(engine, hook_id, "0x" + "0e" * 32, 8, "{}", 10)
    clock[0] = 20
    assert notifier.deliver_due() == (0, 1, 0)  # now 127.0.0.2: refused before any connection
    notifier.close()
    assert asked == ["127.0.0.1", "127.0.0.2"] and len(inbox.requests) == 1
    assert [d.last_outcome for d in list_deliveries(engine)] == ["2xx", "blocked"]


def test_redirects_are_not_followed_and_answers_are_not_kept(engine: Engine, inbox: Receiver, tmp_path: Path) -> None:
    box = load_secret_box(tmp_path)
    queue(engine, box, inbox.url("/hook"))
    inbox.redirects["/hook"] = "http://169.254.169.254/latest/meta-data/"
    inbox.answer_body = b"postgres: password authentication failed for user admin"

    notifier = Notifier(engine, box=box, targets=TargetPolicy.parse("127.0.0.1"), clock=lambda: 10)
    assert notifier.deliver_due() == (0, 1, 0)
    notifier.close()

    assert [r.path for r in inbox.requests] == ["/hook"]
    (delivery,) = list_deliveries(engine)
    assert delivery.last_outcome == "3xx"
    with engine.connect() as conn:
        row = conn.execute(select(models.WebhookDelivery.__table__)).one()
    assert not any(isinstance(v, str) and "password" in v for v in row)


@pytest.mark.parametrize(
    ("setup", "outcome"),
    [("closed port", "refused"), ("status 404", "4xx"), ("status 503", "5xx"), ("slow answer", "timeout")],
)
def test_the_delivery_log_keeps_the_outcome_class_only(
    engine: Engine, inbox: Receiver, tmp_path: Path, setup: str, outcome: str
) -> None:
    box = load_secret_box(tmp_path)
    if setup == "closed port":
        url = f"http://127.0.0.1:{free_port()}/hook"
    elif setup == "slow answer":
        silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
    else:
        url = inbox.url("/hook")
        inbox.script["/hook"] = [int(setup.split()[1])]
    queue(engine, box, url)
    notifier = Notifier(engine, box=box, targets=TargetPolicy.parse("127.0.0.1"), clock=lambda: 10, timeout=0.5)
    try:
        notifier.deliver_due()
    finally:
        notifier.close()
        if setup == "slow answer":
            silent.close()
    (delivery,) = list_deliveries(engine)
    assert delivery.last_outcome == outcome
    columns = {c["name"] for c in inspect(engine).get_columns("webhook_deliveries")}
    assert "last_error" not in columns and "last_status_code" not in columns


# ------------------------------------------------------------------ keys and migration


def test_the_key_file_is_made_once_with_mode_0600_and_refused_when_open(tmp_path: Path) -> None:
    first = load_secret_box(tmp_path)
    sealed = first.seal("whsec_x")
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_box(tmp_path).open(sealed) == "whsec_x"  # the same key, read back

    os.chmod(path, 0o644)
    with pytest.raises(WebhookKeyError, match="chmod 600"):
        load_secret_box(tmp_path)
    other = load_secret_box(tmp_path / "elsewhere")
    with pytest.raises(WebhookKeyError, match="does not open"):
        other.open(sealed)
    with pytest.raises(WebhookKeyError, match="Fernet key"):
        load_secret_box(tmp_path, "not-a-key")


def test_a_rotated_key_opens_old_secrets_and_seals_with_the_new(tmp_path: Path) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_before = load_secret_box(tmp_path, old_key).seal("whsec_old")
    rotated = load_secret_box(tmp_path, f"{new_key},{old_key}")  # FRESHLEDGER_WEBHOOK_KEY=new,old
    assert rotated.open(sealed_before) == "whsec_old"
    assert load_secret_box(tmp_path, new_key).open(rotated.seal("whsec_new")) == "whsec_new"
    assert not (tmp_path / KEY_FILE).exists()  # a key from the settings: no key file is made


#: Delivery log rows as the notifier wrote them before 0007: status codes and error text.
OLD_LOG = [
    (503, "HTTP 503"),
    (None, "ConnectError: [Errno 111] Connection refused to 10.0.0.5:5432"),
    (None, "ReadTimeout: timed out"),
    (200, None),
    (None, None),
]


def test_migration_0007_drops_error_text_and_clear_secrets_are_sealed_at_start(
    databases: Databases, tmp_path: Path
) -> None:
    engine = make_engine(databases.url())
    try:
        command.upgrade(alembic_config(engine), "0006")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO webhooks (webhook_id, owner, url, secret, description, created_at, since_block) "
                    "VALUES ('wh_old', :owner, 'https://a12.example/hook', 'whsec_clear', NULL, 0, 0)"
                ),
                {"owner": "0x" + "a1" * 20},
            )
            for n, (code, error) in enumerate(OLD_LOG):
                conn.execute(
                    text(
                        "INSERT INTO webhook_deliveries (webhook_id, recall_tx, block_number, body, status, attempts, "
                        "next_attempt_at, last_status_code, last_error, created_at) "
                        "VALUES ('wh_old', :tx, 1, '{}', 'pending', 1, 0, :code, :error, 0)"
                    ),
                    {"tx": f"0x{n:064x}", "code": code, "error": error},
                )

        command.upgrade(alembic_config(engine), "head")

        assert [d.last_outcome for d in list_deliveries(engine)] == ["5xx", "refused", "timeout", "2xx", None]
        box = load_secret_box(tmp_path)
        assert seal_clear_secrets(engine, box) == 1
        assert seal_clear_secrets(engine, box) == 0  # once
        assert webhook_secrets(engine, box) == {"wh_old": "whsec_clear"}
        with engine.connect() as conn:
            assert "whsec_clear" not in conn.execute(text("SELECT sealed_secret FROM webhooks")).scalar_one()
        assert [h.webhook_id for h in list_webhooks(engine)] == ["wh_old"]
    finally:
        engine.dispose()
