# The Chinese answer is typeset with full-width punctuation, as the page shows it.
# ruff: noqa: RUF001
"""Ratings only from buyers, on a real chain and database: a rating without the receipt's valid
proof of that very sale is 403 before anything else is checked or revealed (unknown sale 404,
rated sale 409, bad stars 422, the rate limit 429), and nothing is stored; the proof appears on
no public page or answer but the vendor's sale answer, the receipt's QR code and label; the
shopper's page carries it into its form without showing it or sending it on; old receipts are
reprinted by the stall; the key lives in the data directory, 0600."""

from __future__ import annotations

import io
import stat
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from pydantic import ValidationError

from api.ratelimit import TokenBucketLimiter
from api.receipts import KEY_FILE, PROOF_LENGTH, ReceiptProofs, load_or_create_key
from api.services import build_services
from api.settings import ApiSettings
from ledger.store.ratings import rating_for_sale
from tests.api.conftest import Market, api_market, cast  # noqa: F401 - fixtures
from tests.api.test_ratings import sell
from tests.support.html import parse_html

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
FORGED = "AAAAAAAAAAAAAAAA"


@pytest.fixture(autouse=True)
def roomy_limit(api_market: Market) -> None:  # noqa: F811
    api_market.client.app.state.rating_limiter = TokenBucketLimiter(capacity=1000)
    api_market.client.cookies.clear()


def _post(m: Market, sale_id: str, receipt: object | None, **body: object) -> object:
    payload = dict(body) if receipt is None else {"receipt": receipt, **body}
    return m.client.post(f"/sales/{sale_id}/rating", json=payload)


def _rated(m: Market, sale_id: str) -> bool:
    return rating_for_sale(m.client.app.state.services.engine, sale_id) is not None


@pytest.mark.parametrize("which", ["none", "forged", "other sale's", "not a string", "empty"])
def test_rating_without_a_valid_proof_is_403_and_stores_nothing(
    api_market: Market,  # noqa: F811
    cast: dict,  # noqa: F811
    which: str,
) -> None:
    m = api_market
    sale, other = sell(m, cast, count=2)
    receipt = {"none": None, "forged": FORGED, "other sale's": other["receipt"], "not a string": 12345}.get(which, "")
    answer = _post(m, sale["sale_id"], receipt, stars=5)
    assert answer.status_code == 403
    assert answer.json()["error"] == "NoReceiptProof"
    assert not _rated(m, sale["sale_id"])
    assert _post(m, sale["sale_id"], sale["receipt"], stars=5).status_code == 201  # the buyer still can


def test_403_comes_before_404_409_422_and_429(api_market: Market, cast: dict) -> None:  # noqa: F811
    m = api_market
    sale, other = sell(m, cast, count=2)
    unknown = f"0x{'34' * 32}"
    # Unknown sale: 403 without its proof, so sale ids cannot be probed.
    assert _post(m, unknown, FORGED, stars=5).status_code == 403
    assert _post(m, unknown, sale["receipt"], stars=5).status_code == 403
    # Bad stars: 403 without the proof, 422 with it.
    assert _post(m, sale["sale_id"], None, stars=9).status_code == 403
    assert _post(m, sale["sale_id"], sale["receipt"], stars=9).status_code == 422
    # Rated: 403 without the proof (a stranger learns nothing), 409 with it.
    assert _post(m, sale["sale_id"], sale["receipt"], stars=4).status_code == 201
    assert _post(m, sale["sale_id"], other["receipt"], stars=1).status_code == 403
    assert _post(m, sale["sale_id"], sale["receipt"], stars=1).status_code == 409
    # Limited: a client over its limit still gets 403 for a missing proof, 429 with one.
    now = [0.0]
    m.client.app.state.rating_limiter = TokenBucketLimiter(capacity=1, period=60.0, clock=lambda: now[0])
    assert _post(m, other["sale_id"], FORGED, stars=3).status_code == 403  # spends no token
    assert _post(m, unknown, sale["receipt"], stars=3).status_code == 403
    assert _post(m, other["sale_id"], other["receipt"], stars=9).status_code == 422  # spends the token
    assert _post(m, other["sale_id"], None, stars=3).status_code == 403
    limited = _post(m, other["sale_id"], other["receipt"], stars=3)
    assert limited.status_code == 429 and "retry-after" in limited.headers
    assert not _rated(m, other["sale_id"])


def test_form_post_without_proof_is_403_with_a_page_in_the_shoppers_language(
    api_market: Market,  # noqa: F811
    cast: dict,  # noqa: F811
) -> None:
    m = api_market
    (sale,) = sell(m, cast)
    answer = m.client.post(
        f"/sales/{sale['sale_id']}/rating", content="stars=5", headers={**FORM, "Accept-Language": "zh-CN"}
    )
    assert answer.status_code == 403
    message = parse_html(answer.text).by_id("rating-result").find("p", cls="message").text()
    assert message == "只有购买者可以评价：请扫描购物小票上的二维码打开此页面。"
    assert not _rated(m, sale["sale_id"])


def test_shopper_page_carries_the_proof_into_its_form_only(api_market: Market, cast: dict) -> None:  # noqa: F811
    m = api_market
    (sale,) = sell(m, cast)
    receipt = urlsplit(sale["qr_url"])
    html = m.client.get(f"{receipt.path}?{receipt.query}", headers={"Accept": "text/html"})
    assert html.status_code == 200
    assert html.headers["referrer-policy"] == "no-referrer"
    doc = parse_html(html.text)
    assert doc.find("meta", name="referrer").attrs["content"] == "no-referrer"
    (hidden,) = doc.by_id("rating").find_all("input", type="hidden")
    assert hidden.attrs["value"] == sale["receipt"]
    # Shown nowhere: only in the hidden field and the language links (so the form survives a switch).
    visible_text = doc.find("body").text()
    assert sale["receipt"] not in visible_text
    carrying = [e.attrs["href"] for e in doc.iter() if sale["receipt"] in e.attrs.get("href", "")]
    assert sorted(carrying) == sorted(f"?lang={code}&receipt={sale['receipt']}" for code in ("en", "ko", "zh"))
    assert html.text.count(sale["receipt"]) == 4
    switched = m.client.get(f"{receipt.path}{carrying[0]}")
    assert parse_html(switched.text).by_id("rating").find_all("form")


@pytest.mark.parametrize("receipt", [None, FORGED, "x" * 200, "<script>alert(1)</script>"])
def test_shopper_page_without_a_valid_proof_has_no_form_and_never_echoes_it(
    api_market: Market,  # noqa: F811
    cast: dict,  # noqa: F811
    receipt: str | None,
) -> None:
    m = api_market
    (sale,) = sell(m, cast)
    path = urlsplit(sale["qr_url"]).path
    html = m.client.get(path, params={"receipt": receipt} if receipt else None, headers={"Accept-Language": "en"})
    assert html.status_code == 200
    rating = parse_html(html.text).by_id("rating")
    assert not rating.find_all("form")
    assert rating.find("p", cls="needs-receipt").text().startswith("To rate this stall, scan the QR code")
    if receipt:
        assert receipt not in html.text and "alert(1)" not in html.text


def test_the_proof_is_in_no_public_answer(api_market: Market, cast: dict) -> None:  # noqa: F811
    m = api_market
    (sale,) = sell(m, cast)
    proof = sale["receipt"]
    assert len(proof) == PROOF_LENGTH and sale["qr_url"].endswith(f"?receipt={proof}")
    rated = _post(m, sale["sale_id"], proof, stars=4, comment="crisp")
    assert rated.status_code == 201 and proof not in rated.text
    path = urlsplit(sale["qr_url"]).path
    vendor = cast["vendor"][0]
    public = [
        m.client.get(f"/sales/{sale['sale_id']}"),
        m.client.get(path, headers={"Accept": "application/json"}),
        m.client.get(path, params={"linkType": "all"}),
        m.client.get(path, headers={"Accept": "text/html"}),
        m.client.get(f"/stalls/{vendor}"),
        m.client.get(f"/stalls/{vendor}/ratings"),
        m.client.get(f"/board/stalls/{vendor}"),
        m.client.get("/board"),
        m.client.get(f"/batches/{sale['batch_ids'][0]}/history"),
        m.client.get("/openapi.json"),
    ]
    for answer in public:
        assert answer.status_code == 200, answer.url
        assert proof not in answer.text, answer.url
    for key in ("vendor2", "farm", "regulator"):  # other participants do not get it either
        assert proof not in m.client.get(f"/sales/{sale['sale_id']}/qr.svg", headers=m.auth(cast[key][1])).text


def test_an_old_receipt_is_reprinted_by_its_stall_and_then_rates(api_market: Market, cast: dict) -> None:  # noqa: F811
    """Receipts printed before the proof carry the bare Digital Link: its page offers no form
    and a proof-less rating is refused; the stall reprints the label (its key), whose code rates."""
    m = api_market
    (sale,) = sell(m, cast)
    old_receipt = sale["qr_url"].split("?")[0]
    page = parse_html(m.client.get(urlsplit(old_receipt).path, headers={"Accept-Language": "en"}).text)
    assert not page.by_id("rating").find_all("form")
    assert _post(m, sale["sale_id"], None, stars=5).status_code == 403
    label = m.client.get(f"/sales/{sale['sale_id']}/label.png", headers=m.auth(cast["vendor"][1]))
    assert label.status_code == 200
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(label.content)).convert("L"))
    reprinted = urlsplit(code.text)
    assert reprinted.path == urlsplit(old_receipt).path and reprinted.query == f"receipt={sale['receipt']}"
    form = parse_html(m.client.get(f"{reprinted.path}?{reprinted.query}").text).by_id("rating").find("form")
    proof = form.find("input", type="hidden").attrs["value"]
    assert _post(m, sale["sale_id"], proof, stars=5).status_code == 201


# ------------------------------------------------------------------ the key and the proofs


def test_receipt_key_is_made_once_in_the_data_directory_readable_by_its_owner_only(tmp_path: Path) -> None:
    settings = ApiSettings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'api.db'}")
    first = build_services(settings)
    key_file = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = build_services(settings)  # a restart keeps the key: printed receipts stay valid
    sale_id = "0x" + "ab" * 32
    assert first.receipts.proof(sale_id) == again.receipts.proof(sale_id)
    assert [p.name for p in key_file.parent.iterdir() if p.name.startswith(".")] == []  # no drafts left
    for services in (first, again):
        services.engine.dispose()


def test_configured_receipt_key_wins_and_short_keys_are_refused(tmp_path: Path) -> None:
    shared = "s" * 40
    a = ApiSettings(data_dir=tmp_path / "a", receipt_key=shared)
    b = ApiSettings(data_dir=tmp_path / "b", receipt_key=shared)
    proof = ReceiptProofs.from_settings(shared, a.data_dir).proof("0x" + "01" * 32)
    assert ReceiptProofs.from_settings(shared, b.data_dir).verify("0x" + "01" * 32, proof)
    assert not (tmp_path / "a" / KEY_FILE).exists()
    with pytest.raises(ValidationError, match="receipt_key"):
        ApiSettings(data_dir=tmp_path, receipt_key="short")
    (tmp_path / "bad.key").write_text("not hex\n")
    with pytest.raises(ValueError, match="does not hold a receipt key"):
        load_or_create_key(tmp_path / "bad.key")


def test_proofs_bind_the_sale_and_the_key() -> None:
    proofs, other_key = ReceiptProofs(b"k" * 32), ReceiptProofs(b"j" * 32)
    sale, other = "0x" + "ab" * 32, "0x" + "cd" * 32
    proof = proofs.proof(sale)
    assert proofs.verify(sale, proof) and proofs.verify(sale.upper().replace("0X", "0x"), proof)
    assert not proofs.verify(other, proof)
    assert not other_key.verify(sale, proof)
    assert not proofs.verify(sale, proof[:-1]) and not proofs.verify(sale, None) and not proofs.verify(sale, 7)
    with pytest.raises(ValueError, match="32 bytes"):
        ReceiptProofs(b"short")
