"""sign / verify_signature: the Stripe-style scheme, checked against HMAC computed here."""

from __future__ import annotations

import hashlib
import hmac

from ledger.notify import sign, verify_signature

SECRET = "whsec_test-secret"
BODY = b'{"id":"0xabc","reason":"carbofuran"}'
T = 1_764_115_200


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, T) == f"t={T},v1={expected}"


def test_verify_accepts_its_own_signature_within_tolerance() -> None:
    header = sign(SECRET, BODY, T)
    assert verify_signature(SECRET, BODY, header, now=T)
    assert verify_signature(SECRET, BODY, header, now=T + 300)


def test_verify_refuses_tampering_wrong_secret_and_stale_timestamps() -> None:
    header = sign(SECRET, BODY, T)
    assert not verify_signature(SECRET, BODY.replace(b"carbofuran", b"nothing"), header, now=T)
    assert not verify_signature("whsec_other", BODY, header, now=T)
    assert not verify_signature(SECRET, BODY, header, now=T + 301)
    # the timestamp is signed: moving it forward breaks the signature
    moved = header.replace(f"t={T}", f"t={T + 100}")
    assert not verify_signature(SECRET, BODY, moved, now=T + 100)


def test_verify_accepts_any_matching_v1_and_ignores_other_schemes() -> None:
    good = sign(SECRET, BODY, T).split(",")[1]
    header = f"t={T},v0=deadbeef,v1={'0' * 64},{good}"
    assert verify_signature(SECRET, BODY, header, now=T)


def test_verify_refuses_malformed_headers() -> None:
    for header in ("", "v1=abc", f"t={T}", "t=soon,v1=abc", "garbage"):
        assert not verify_signature(SECRET, BODY, header, now=T)
