"""The Digital Link resolver: content negotiation, linkset, 400 and 404, and the QR images
and labels of a sale decoded with a real QR decoder."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from tests.api.conftest import Market
from tests.api.test_writes import GTIN, deliver, harvest, lot


@pytest.fixture(scope="module")
def sold(api_market: Market, cast: dict) -> dict:
    """One sale through the API, indexed; its answer (with the QR URL)."""
    m = api_market
    batch_id = harvest(m, cast["farm"][1], quantity=30)
    deliver(m, batch_id, cast["farm"], cast["vendor"])
    m.sync()
    answer = m.client.post(
        "/sales", json={"batch_id": batch_id, "quantity": 3, "price": 1800}, headers=m.auth(cast["vendor"][1])
    )
    assert answer.status_code == 201, answer.text
    m.sync()
    return answer.json()


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def qr_text(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    return found[0].text


def test_json_scan_gives_the_chain_of_custody(api_market: Market, sold: dict) -> None:
    answer = api_market.client.get(path_of(sold["qr_url"]), headers={"Accept": "application/json"})
    assert answer.status_code == 200
    chain = answer.json()
    assert chain["sale"]["sale_id"] == sold["sale_id"]
    assert [e["kind"] for e in chain["events"]][-1] == "sold"
    assert sold["receipt"] not in answer.text  # the scan's proof is never answered back


def test_linkset_lists_the_links(api_market: Market, sold: dict) -> None:
    answer = api_market.client.get(path_of(sold["qr_url"]), params={"linkType": "all"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/linkset+json")
    (links,) = answer.json()["linkset"]
    assert links["anchor"] == sold["qr_url"].split("?")[0]  # the sale's Digital Link, without the proof
    assert sold["receipt"] not in answer.text
    assert "https://gs1.org/voc/pip" in links and "https://gs1.org/voc/traceability" in links


def test_browser_scan_gets_the_page(api_market: Market, sold: dict) -> None:
    answer = api_market.client.get(path_of(sold["qr_url"]), headers={"Accept": "text/html"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "Green Valley Farm" in answer.text


@pytest.mark.parametrize(
    "path",
    ["/01/06901234000017/10/A/21/1", "/01/abc", "/01/06901234000016/99/x", "/01/06901234000016/21/1/10/A"],
)
def test_bad_codes_are_400(api_market: Market, path: str) -> None:
    for accept in ("application/json", "text/html"):
        answer = api_market.client.get(path, headers={"Accept": accept})
        assert answer.status_code == 400, (path, answer.text)


def test_unknown_codes_are_404_with_a_page(api_market: Market) -> None:
    html = api_market.client.get(f"/01/{GTIN}/10/NO-SUCH-LOT/21/1", headers={"Accept": "text/html"})
    assert html.status_code == 404
    assert html.headers["content-type"].startswith("text/html")
    json = api_market.client.get(f"/01/{GTIN}/10/NO-SUCH-LOT/21/1", headers={"Accept": "application/json"})
    assert json.status_code == 404
    assert json.json()["error"] == "NotFound"


def test_qr_images_and_label_carry_the_receipts_digital_link_for_the_selling_stall(
    api_market: Market, cast: dict, sold: dict
) -> None:
    m = api_market
    stall = m.auth(cast["vendor"][1])
    assert sold["qr_url"].endswith(f"?receipt={sold['receipt']}")  # the rating proof rides on the code
    png = m.client.get(f"/sales/{sold['sale_id']}/qr.png", headers=stall)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert qr_text(png.content) == sold["qr_url"]
    svg = m.client.get(f"/sales/{sold['sale_id']}/qr.svg", headers=stall)
    assert svg.status_code == 200 and svg.text.lstrip().startswith("<")
    label = m.client.get(f"/sales/{sold['sale_id']}/label.png", headers=stall)
    assert label.status_code == 200 and label.headers["cache-control"] == "private, no-store"
    assert qr_text(label.content) == sold["qr_url"]
    pdf = m.client.get(f"/sales/{sold['sale_id']}/label.pdf", headers=stall)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert m.client.get(f"/sales/0x{'00' * 32}/qr.png", headers=stall).status_code == 404
    # The proof is the buyer's: nobody else gets the code or the label.
    assert m.client.get(f"/sales/{sold['sale_id']}/label.png").status_code == 401
    assert m.client.get(f"/sales/{sold['sale_id']}/qr.png", headers=m.auth(cast["vendor2"][1])).status_code == 403
    assert m.client.get(f"/sales/{sold['sale_id']}/qr.svg", headers=m.auth(cast["farm"][1])).status_code == 403


def test_a_sale_lot_is_not_a_sale(api_market: Market, sold: dict) -> None:
    assert lot()  # codes without a serial name no sale
    answer = api_market.client.get(f"/01/{GTIN}", headers={"Accept": "application/json"})
    assert answer.status_code == 404
