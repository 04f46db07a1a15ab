"""Sale labels: the QR code inside the PNG and inside the rendered PDF page reads back as the
sale's URI (zxing-cpp), the PDF's embedded text says what the label says (pdfium), and
Chinese stall names print with the installed CJK font."""

from __future__ import annotations

import ctypes
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from ledger.digital_link import DigitalLink, build_uri
from ledger.queries.views import Party, SaleView
from ledger.sale_labels import (
    CJK_FONTS,
    DPI,
    FALLBACK_FONT,
    PRINT_WIDTH_DOTS,
    LabelFont,
    SaleLabel,
    find_label_font,
    format_price,
    label_pdf,
    label_png,
    wrap_text,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SHANGHAI = timezone(timedelta(hours=8))
URI = build_uri("market.example", DigitalLink("09506000134352", lot="LOT-2025/06", serial="12"))
LABEL = SaleLabel(
    stall_name="老王蔬菜摊 Lao Wang Vegetables",
    product="Tomatoes, vine-ripened",
    gtin="09506000134352",
    lot="LOT-2025/06",
    sold_at=datetime(2025, 6, 1, 9, 30, tzinfo=SHANGHAI),
    quantity=2,
    unit="KGM",
    price=1200,
    currency="CNY",
    uri=URI,
)


def decode(image: Image.Image) -> str:
    """The text of the one QR code in `image`."""
    found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, found
    return found[0].text


def pdf_page(data: bytes) -> pdfium.PdfPage:
    return pdfium.PdfDocument(data)[0]


def pdf_text(data: bytes) -> str:
    return pdf_page(data).get_textpage().get_text_bounded()


def render_pdf(data: bytes) -> Image.Image:
    """The page at the printer's 203 dpi, as a receipt printer driver would rasterize it."""
    return pdf_page(data).render(scale=DPI / 72).to_pil()


def test_find_label_font_uses_the_installed_cjk_font() -> None:
    font = find_label_font()
    assert font.cjk, "no CJK font: install the Debian package fonts-wqy-zenhei"
    assert (font.path, font.index) == CJK_FONTS[0]


def test_label_font_has_glyphs_for_chinese_stall_names() -> None:
    font = find_label_font()
    face = ImageFont.truetype(str(font.path), 24, index=font.index)

    def glyph(char: str) -> bytes:
        image = Image.new("L", (32, 32))
        ImageDraw.Draw(image).text((2, 2), char, font=face, fill=255)
        return image.tobytes()

    missing = glyph("\U000f0000")  # a private-use code point: what the font draws for no glyph
    for char in "老王蔬菜摊":
        assert glyph(char) != missing, char


def test_label_png_qr_decodes_to_the_uri() -> None:
    png = label_png(LABEL)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "sale-label.png").write_bytes(png)
    image = Image.open(io.BytesIO(png))
    assert image.mode == "1"
    assert image.width == PRINT_WIDTH_DOTS
    assert image.info["dpi"] == pytest.approx((DPI, DPI), abs=0.1)
    assert decode(image) == URI


def test_label_pdf_qr_decodes_to_the_uri() -> None:
    pdf = label_pdf(LABEL)
    (ARTIFACTS / "sale-label.pdf").parent.mkdir(exist_ok=True)
    (ARTIFACTS / "sale-label.pdf").write_bytes(pdf)
    assert decode(render_pdf(pdf)) == URI


def test_label_pdf_page_is_58_mm_wide() -> None:
    page = pdf_page(label_pdf(LABEL))
    assert page.get_width() == pytest.approx(58 / 25.4 * 72, abs=0.01)
    assert page.get_height() > page.get_width()


def test_label_pdf_text_has_the_stall_product_lot_date_quantity_and_price() -> None:
    text = pdf_text(label_pdf(LABEL))
    lines = text.splitlines()
    assert "老王蔬菜摊" in text and "Lao Wang" in text
    assert "Tomatoes, vine-ripened" in lines
    for key, value in [("Lot", "LOT-2025/06"), ("Date", "2025-06-01 09:30"), ("Quantity", "2 kg")]:
        assert f"{key} {value}" in lines
    assert "Price CNY 12.00" in lines
    assert "".join(lines[-3:]).replace("\r", "").endswith("21/12")  # the URI, wrapped under the code


def test_label_pdf_embeds_its_font() -> None:
    page = pdf_page(label_pdf(LABEL))
    fonts = set()
    for text in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
        font = pdfium_c.FPDFTextObj_GetFont(text.raw)
        size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
        name = ctypes.create_string_buffer(size)
        pdfium_c.FPDFFont_GetBaseFontName(font, name, size)
        fonts.add((name.value.decode(), pdfium_c.FPDFFont_GetIsEmbedded(font)))
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert all("WenQuanYi" in name for name, _ in fonts), fonts


def test_labels_are_reproducible() -> None:
    assert label_png(LABEL) == label_png(LABEL)
    assert label_pdf(LABEL) == label_pdf(LABEL)


def test_labels_with_the_fallback_font_still_carry_the_code_and_text() -> None:
    vera = LabelFont(FALLBACK_FONT)
    assert FALLBACK_FONT.is_file()
    assert decode(Image.open(io.BytesIO(label_png(LABEL, font=vera)))) == URI
    pdf = label_pdf(LABEL, font=vera)
    assert decode(render_pdf(pdf)) == URI
    assert "Price CNY 12.00" in pdf_text(pdf).splitlines()


def test_long_stall_name_wraps_and_long_uri_still_scans() -> None:
    uri = build_uri("shouguang-vegetable-market.example.cn", DigitalLink("09506000134352", "X" * 20, "9" * 20))
    label = SaleLabel(
        stall_name="寿光蔬菜批发市场第三排十二号老王有机蔬菜直销摊位" * 2,
        product=None,
        gtin="09506000134352",
        lot="X" * 20,
        sold_at=datetime(2025, 6, 1, 9, 30),
        quantity=12,
        unit="H87",
        price=123456,
        currency="JPY",
        uri=uri,
    )
    image = Image.open(io.BytesIO(label_png(label)))
    assert image.width == PRINT_WIDTH_DOTS
    assert decode(image) == uri
    pdf = label_pdf(label)
    assert decode(render_pdf(pdf)) == uri
    text = pdf_text(pdf)
    assert "GTIN 09506000134352" in text
    assert "Quantity 12 pcs" in text and "Price JPY 123456" in text
    assert label.stall_name in text.replace("\r\n", "").replace("\n", "")


def test_label_refuses_a_uri_too_long_for_a_readable_code() -> None:
    label = SaleLabel(**{**vars(LABEL), "uri": "https://market.example/" + "x" * 1200})
    with pytest.raises(ValueError, match="URI too long for a 58 mm label's QR code"):
        label_png(label)


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (1200, "CNY", "CNY 12.00"),
        (5, "CNY", "CNY 0.05"),
        (0, "EUR", "EUR 0.00"),
        (123456, "JPY", "JPY 123456"),
        (1234, "KWD", "KWD 1.234"),
        (10000, "CLF", "CLF 1.0000"),
    ],
)
def test_format_price_uses_the_currency_minor_unit(minor: int, currency: str, text: str) -> None:
    assert format_price(minor, currency) == text


def test_sale_label_of_sale_uses_the_vendor_and_market_time_zone() -> None:
    sale = SaleView(
        sale_id="0x" + "ab" * 32,
        serial=12,
        batch_id="0x" + "cd" * 32,
        gtin="09506000134352",
        lot="LOT-2025/06",
        vendor=Party("0x" + "11" * 20, name=None),
        quantity=2,
        unit="KGM",
        price=1200,
        currency="CNY",
        time=int(datetime(2025, 6, 1, 1, 30, tzinfo=UTC).timestamp()),
        block_number=7,
        tx_hash="0x" + "ef" * 32,
    )
    label = SaleLabel.of_sale(sale, URI, tz=SHANGHAI)
    assert label.stall_name == "0x" + "11" * 20  # no registered name: the address
    assert label.product_text == "GTIN 09506000134352"
    assert (label.sold_at_text, label.quantity_text, label.price_text) == ("2025-06-01 09:30", "2 kg", "CNY 12.00")
    named = SaleLabel.of_sale(SaleView(**{**vars(sale), "vendor": Party(sale.vendor.address, "Stall A12")}), URI)
    assert named.stall_name == "Stall A12"
    assert named.sold_at_text == "2025-06-01 01:30"  # UTC unless told


def test_wrap_text_breaks_after_cjk_characters_spaces_and_slashes() -> None:
    def width(text: str) -> float:
        return float(len(text))  # one unit per character keeps the expectations readable

    assert wrap_text("老王蔬菜摊 Lao Wang", 4, width) == ["老王蔬菜", "摊", "Lao", "Wang"]
    assert wrap_text("https://m.example/01/0950/10/A", 12, width) == ["https://", "m.example/", "01/0950/10/A"]
    assert wrap_text("x" * 10, 4, width) == ["xxxx", "xxxx", "xx"]
    assert wrap_text("  a   b  ", 10, width) == ["a b"]
    assert wrap_text("", 10, width) == [""]
