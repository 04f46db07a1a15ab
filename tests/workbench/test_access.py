"""The workbench's gates, route by route, against the real app: no session goes to the
sign-in page, another role's person gets 403, a form without its CSRF token 403; then sign-in
throttling (429 with Retry-After, per account and per client), the second factor, idle
expiry, sign-out everywhere, and a suspension ending its people's sessions at once."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import update

from api.policy import POLICY, Audience
from ledger.people import totp
from ledger.store.people import clear_failures, create_person
from ledger.store.people_models import PersonSession
from tests.workbench.conftest import PASSWORD, Bench, hidden_fields, sign_in

WORKBENCH = sorted(r for r, a in POLICY.items() if a.needs_session)
NO_BATCH = "0x" + "ee" * 32
NOBODY = "0x" + "12" * 20
#: A person of the role the audience names, and one of another role.
RIGHT_AND_WRONG = {
    Audience.PERSON: ("vendor", None),
    Audience.PERSON_SUPPLIER: ("farm", "vendor"),
    Audience.PERSON_CUSTOMS: ("customs", "farm"),
    Audience.PERSON_VENDOR: ("vendor", "farm"),
    Audience.PERSON_LAB: ("lab", "vendor"),
    Audience.PERSON_REGULATOR: ("regulator", "vendor"),
    Audience.PERSON_AUTHORITY: ("authority", "regulator"),
}


def _path(route: str) -> str:
    template = route.split(" ", 1)[1]
    path = template.replace("{batch_id}", NO_BATCH).replace("{address}", NOBODY).replace("{intent_id}", "999999")
    return path.replace("{key}", "7").replace("{key_id}", "0123456789abcdef")


@pytest.fixture(scope="module")
def sessions(bench: Bench) -> dict[str, tuple[httpx.Client, str]]:
    """A signed-in client of each person and its CSRF token (read from its home page)."""
    found = {}
    for name in ("farm", "lab", "regulator", "vendor", "customs", "authority"):
        client = bench.sign_in(name)
        found[name] = (client, hidden_fields(client.get("/workbench").text, "/workbench/sign-out")["csrf"])
    return found


def test_every_workbench_route_is_in_the_table_with_a_session_audience() -> None:
    assert len(WORKBENCH) >= 20
    assert all(route.split(" ", 1)[1].startswith("/workbench") for route in WORKBENCH)


@pytest.mark.parametrize("route", [r for r in WORKBENCH if "sign-out" not in r])
def test_workbench_route_answers_its_people_only(bench: Bench, sessions: dict, route: str) -> None:
    method, _ = route.split(" ", 1)
    path = _path(route)
    anonymous = bench.client().request(method, path)
    assert anonymous.status_code == 303, (route, anonymous.status_code)
    assert anonymous.headers["location"].startswith("/workbench/sign-in?next=")
    right, wrong = RIGHT_AND_WRONG[POLICY[route]]
    if wrong is not None:
        client, csrf = sessions[wrong]
        refused = client.request(method, path, data={"csrf": csrf} if method == "POST" else None)
        assert refused.status_code == 403, (route, wrong, refused.status_code)
        assert "This screen is for the" in refused.text
    client, csrf = sessions[right]
    if method == "POST":
        forged = client.post(path, data={"csrf": "not-the-token"})
        assert forged.status_code == 403, (route, forged.status_code)
        assert "did not come from the workbench" in forged.text
    answer = client.request(method, path, data={"csrf": csrf} if method == "POST" else None)
    assert answer.status_code not in (303, 401, 403), (route, right, answer.status_code, answer.text[:300])
    if method == "GET" and "{" not in route and not route.endswith("/trace"):
        assert answer.status_code == 200, (route, answer.status_code)
        assert answer.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_session_cookie_is_http_only_strict_and_scoped(bench: Bench) -> None:
    client = bench.client()
    answer = sign_in(client, "farm.one", PASSWORD)
    cookie = answer.headers["set-cookie"].lower()
    assert "fl_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert "path=/workbench" in cookie and "secure" not in cookie  # development; Secure in production


def test_sign_in_without_its_form_token_is_refused(bench: Bench) -> None:
    answer = bench.client().post("/workbench/sign-in", data={"username": "farm.one", "password": PASSWORD})
    assert answer.status_code == 403 and "did not come from the workbench" in answer.text


def test_repeated_failed_sign_ins_are_slowed_per_account_and_per_client(bench: Bench) -> None:
    client = bench.client()
    try:
        for n in range(5):
            assert sign_in(client, "lab.one", f"wrong password {n}").status_code == 401
        sixth = sign_in(client, "lab.one", "wrong password 6")
        assert sixth.status_code == 401  # the sixth failure starts the wait
        blocked = sign_in(client, "lab.one", PASSWORD)  # even the right password waits
        assert blocked.status_code == 429
        assert 25 <= int(blocked.headers["retry-after"]) <= 30
        assert "Too many failed sign-ins" in blocked.text
        # the same client trying another account is slowed too
        other = sign_in(client, "farm.one", PASSWORD)
        assert other.status_code == 429
    finally:
        clear_failures(bench.services.engine, ["account:lab.one", "client:127.0.0.1"])
    assert sign_in(client, "lab.one", PASSWORD).status_code == 303


def test_an_account_with_a_second_factor_needs_its_code(bench: Bench) -> None:
    client = bench.client()
    missing = sign_in(client, "authority.one", PASSWORD)
    assert missing.status_code == 401
    assert 'id="f-code-error">The code is missing or wrong.' in missing.text
    good = sign_in(client, "authority.one", PASSWORD, totp.code_at(bench.authority_totp, time.time()))
    assert good.status_code == 303
    clear_failures(bench.services.engine, ["account:authority.one", "client:127.0.0.1"])


def test_an_idle_session_ends(bench: Bench) -> None:
    client = bench.sign_in("farm")
    assert client.get("/workbench").status_code == 200
    with bench.services.engine.begin() as conn:
        conn.execute(update(PersonSession.__table__).values(last_seen=PersonSession.__table__.c.last_seen - 3600))
    ended = client.get("/workbench")
    assert ended.status_code == 303 and ended.headers["location"].endswith("reason=expired")


def test_sign_out_everywhere_ends_every_session_of_the_person(bench: Bench) -> None:
    phone, desk = bench.sign_in("lab"), bench.sign_in("lab")
    csrf = hidden_fields(phone.get("/workbench").text, "/workbench/sign-out-everywhere")["csrf"]
    assert phone.post("/workbench/sign-out-everywhere", data={"csrf": csrf}).status_code == 303
    assert desk.get("/workbench/lab").status_code == 303
    assert phone.get("/workbench/lab").status_code == 303


def test_suspending_a_participant_ends_its_peoples_sessions_at_once(bench: Bench) -> None:
    customs = bench.sign_in("customs")
    assert customs.get("/workbench").status_code == 200
    authority = bench.sign_in("authority")
    page = authority.get("/workbench/authority")
    action = f"/workbench/authority/participants/{bench.addresses['customs']}/suspend"
    fields = hidden_fields(page.text, action)
    done = authority.post(action, data=fields)
    assert done.status_code == 303 and done.headers["location"].startswith("/workbench/intents/")
    result = authority.get(done.headers["location"])
    assert "Participant suspended" in result.text and "On the ledger" in result.text
    ended = customs.get("/workbench")
    assert ended.status_code == 303
    again = sign_in(bench.client(), "customs.one", PASSWORD)
    assert again.status_code == 403 and "suspended" in again.text
    bench.sync()
    page = authority.get("/workbench/authority")
    action = f"/workbench/authority/participants/{bench.addresses['customs']}/reinstate"
    assert authority.post(action, data=hidden_fields(page.text, action)).status_code == 303
    assert sign_in(bench.client(), "customs.one", PASSWORD).status_code == 303


def test_suspension_through_the_api_ends_sessions_too(bench: Bench) -> None:
    auth = {"Authorization": f"Bearer {bench.authority_key}"}
    with httpx.Client(base_url=bench.base, timeout=90) as api:
        admitted = api.post(
            "/participants", json={"role": "VENDOR", "name": "Stall Z97", "identifier": "JY1"}, headers=auth
        )
        address = admitted.json()["address"]
        create_person(bench.services.engine, "z97.one", address, PASSWORD, "Stall Z97 person")
        client = bench.client()
        assert sign_in(client, "z97.one", PASSWORD).status_code == 303
        assert client.get("/workbench").status_code == 200
        assert (
            api.post(f"/participants/{address}/suspend", json={"reason": "licence expired"}, headers=auth).status_code
            == 200
        )
    assert client.get("/workbench").status_code == 303


def test_the_authority_creates_a_person_who_can_sign_in(bench: Bench) -> None:
    authority = bench.sign_in("authority")
    page = authority.get("/workbench/authority")
    fields = hidden_fields(page.text, "/workbench/authority/people")
    data = {
        **fields,
        "participant": bench.addresses["lab"],
        "username": "lab.two",
        "display_name": "Second technician",
        "password": "short",
        "language": "ko",
    }
    refused = authority.post("/workbench/authority/people", data=data)
    assert refused.status_code == 422 and 'id="f-password-error">At least 10 characters.' in refused.text
    made = authority.post("/workbench/authority/people", data={**data, "password": "another long secret"})
    assert made.status_code == 200 and "Account lab.two created." in made.text
    taken = authority.post("/workbench/authority/people", data={**data, "password": "another long secret"})
    assert taken.status_code == 409 and "This username is taken." in taken.text
    client = bench.client()
    assert sign_in(client, "lab.two", "another long secret").status_code == 303
    home = client.get("/workbench")
    assert '<html lang="ko">' in home.text and "검사" in home.text
