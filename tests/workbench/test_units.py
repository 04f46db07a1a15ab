"""The workbench's pure parts: the messages in three languages, TOTP against RFC 6238's test
vectors, password hashes, the residue limits table, and the upload limits of its forms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.limits import WORKBENCH_UPLOAD_BYTES, BodyLimits
from api.workbench.messages import CATALOG, EN
from ledger.people import totp
from ledger.people.passwords import check_password, hash_password
from ledger.residue_limits import COMMODITY_OF, LIMITS, limits_for

ROOT = Path(__file__).resolve().parents[2]
_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+)["']""")


def test_every_language_has_the_same_keys() -> None:
    for lang, messages in CATALOG.items():
        assert set(messages) == set(EN), (lang, set(EN) ^ set(messages))


def test_every_message_key_the_pages_and_routes_use_exists() -> None:
    files = [*(ROOT / "api/templates/workbench").glob("*.html"), *(ROOT / "api/routes").glob("workbench*.py")]
    used = {key for path in files for key in _KEY.findall(path.read_text(encoding="utf-8"))}
    assert len(used) > 80
    assert used - set(EN) == set()


@pytest.mark.parametrize(
    ("moment", "code"),
    [(59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924"), (20000000000, "65353130")],
)
def test_totp_matches_rfc_6238_sha1_vectors(moment: int, code: str) -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # the ASCII seed "12345678901234567890"
    assert totp.code_at(secret, moment, digits=8) == code


def test_totp_accepts_one_step_of_drift_and_nothing_else() -> None:
    secret = totp.new_secret()
    now = 1_800_000_000
    assert totp.verify(secret, totp.code_at(secret, now - 30), now)
    assert not totp.verify(secret, totp.code_at(secret, now - 90), now)
    assert not totp.verify(secret, "12345", now) and not totp.verify(secret, "abcdef", now)


def test_passwords_are_argon2id_and_checked() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert check_password(stored, "correct horse battery")
    assert not check_password(stored, "wrong horse battery")
    assert not check_password(None, "correct horse battery")
    with pytest.raises(ValueError, match="10 to 200"):
        hash_password("short")


def test_every_demo_product_has_limits_with_their_source() -> None:
    assert set(COMMODITY_OF.values()) <= set(LIMITS)
    for gtin in COMMODITY_OF:
        assert all(limit.source.startswith("GB 276") and limit.limit > 0 for limit in limits_for(gtin))


def test_workbench_uploads_have_their_own_limit_and_other_forms_the_usual_one() -> None:
    limits = BodyLimits()
    for path in (
        "/workbench/supplier/harvest",
        "/workbench/customs/declarations",
        f"/workbench/lab/lots/0x{'a' * 64}/test",
    ):
        found = limits.for_request("POST", path)
        assert (found.max_bytes, found.checked) == (WORKBENCH_UPLOAD_BYTES, False), path
    assert limits.for_request("POST", "/workbench/lab/lots/x/y/test").max_bytes == limits.max_json_bytes
    assert limits.for_request("POST", "/workbench/sign-in").max_bytes == limits.max_json_bytes


def test_session_cookie_is_secure_in_production() -> None:
    from types import SimpleNamespace

    from fastapi.responses import Response

    from api.workbench.session import set_session_cookie

    answer = Response()
    services = SimpleNamespace(settings=SimpleNamespace(environment="production", workbench_absolute_s=3600))
    set_session_cookie(answer, services, "token")  # type: ignore[arg-type]
    cookie = answer.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie and "max-age=3600" in cookie
