"""Printable sale labels for a thermal receipt printer: PNG (raster) and PDF, same layout.

Why 58 mm paper: it is what the small stall printers take (portable and Bluetooth ESC/POS
printers are nearly all 58 mm), and a 58 mm label also prints on an 80 mm printer, centred,
while an 80 mm one would not fit the other way round. A 58 mm printer's head prints 48 mm:
384 dots at 8 dots/mm (203 dpi). The PNG is exactly that raster, 1 bit per dot, so it prints
1:1 without scaling or dithering; the PDF is a 58 mm wide page with the same 48 mm of content
and the QR code drawn as vectors.

Text uses a CJK TrueType font, so Chinese stall names print (Debian ``fonts-wqy-zenhei``);
without one, the labels fall back to the Vera font that reportlab ships (Latin only).

Example::

    label = SaleLabel(stall_name="老王蔬菜", product="Tomatoes", gtin="09506000134352", lot="L7",
                      sold_at=datetime(2025, 6, 1, 9, 30), quantity=2, unit="KGM", price=1200,
                      currency="CNY", uri="https://market.example/01/09506000134352/10/L7/21/1")
    png, pdf = label_png(label), label_pdf(label)
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Literal

import reportlab
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from ledger.qr import qr_matrix
from ledger.queries.views import SaleView

log = logging.getLogger(__name__)

PAPER_WIDTH_MM = 58
DOTS_PER_MM = 8  # 203 dpi, the resolution of practically every thermal receipt printer
PRINT_WIDTH_DOTS = 384  # 48 mm: the print head of a 58 mm printer
DPI = DOTS_PER_MM * 25.4
#: Text sizes in dots (em size): 4 mm for the stall name and price, 3 mm for the rest, and
#: 2.25 mm for the URI printed under the code (a fallback for people, not for scanners).
TITLE_SIZE, BODY_SIZE, SMALL_SIZE = 32, 24, 18
LINE_GAP = 4
TOP_MARGIN = 16
#: Paper fed past the last line so the tear bar does not cut into the URI.
BOTTOM_FEED = 48
#: Blank dots inside each edge of the print line: a label never prints to the head's last dot.
SIDE_PADDING = 8
TEXT_WIDTH = PRINT_WIDTH_DOTS - 2 * SIDE_PADDING
#: QR module size in dots: 6 dots (0.75 mm) scans at arm's length through a thermal print's
#: blur; 3 dots (0.375 mm) is the least a phone still reads reliably from paper.
MAX_MODULE_DOTS, MIN_MODULE_DOTS = 6, 3

#: TrueType CJK fonts of Debian packages, best first. Noto CJK (fonts-noto-cjk) is not in
#: the list: its outlines are CFF, which reportlab cannot embed.
CJK_FONTS = (
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),  # fonts-wqy-zenhei
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),  # fonts-wqy-microhei
)
FALLBACK_FONT = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"

#: UN/ECE Rec 20 codes the ledger uses, as people read them.
UNIT_SYMBOLS = {"KGM": "kg", "GRM": "g", "H87": "pcs", "LBR": "lb", "LTR": "l", "TNE": "t"}
#: ISO 4217 currencies whose minor unit is not 1/100 (every other currency has 2 decimals).
CURRENCY_DECIMALS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF"), 0),
    **dict.fromkeys(("UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


@dataclass(frozen=True)
class SaleLabel:
    """What a sale label shows. `price` is in minor units of `currency`; `sold_at` is printed
    as given, so pass it in the market's time zone."""

    stall_name: str
    product: str | None
    gtin: str
    lot: str
    sold_at: datetime
    quantity: int
    unit: str
    price: int
    currency: str
    uri: str

    @classmethod
    def of_sale(cls, sale: SaleView, uri: str, product: str | None = None, tz: tzinfo = UTC) -> SaleLabel:
        """The label of a queried sale; a stall without a registered name shows its address."""
        return cls(
            stall_name=sale.vendor.name or sale.vendor.address,
            product=product,
            gtin=sale.gtin,
            lot=sale.lot,
            sold_at=datetime.fromtimestamp(sale.time, tz),
            quantity=sale.quantity,
            unit=sale.unit,
            price=sale.price,
            currency=sale.currency,
            uri=uri,
        )

    @property
    def product_text(self) -> str:
        return self.product or f"GTIN {self.gtin}"

    @property
    def quantity_text(self) -> str:
        return f"{self.quantity} {UNIT_SYMBOLS.get(self.unit, self.unit)}"

    @property
    def price_text(self) -> str:
        return format_price(self.price, self.currency)

    @property
    def sold_at_text(self) -> str:
        return self.sold_at.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class LabelFont:
    """A TrueType font file (`index` selects a face of a .ttc collection)."""

    path: Path
    index: int = 0
    cjk: bool = False


def find_label_font() -> LabelFont:
    """The first installed CJK font of :data:`CJK_FONTS`, else reportlab's Vera (Latin only)."""
    for path, index in CJK_FONTS:
        if path.is_file():
            return LabelFont(path, index, cjk=True)
    log.warning("no CJK font installed (Debian: fonts-wqy-zenhei): Chinese text on labels will not print")
    return LabelFont(FALLBACK_FONT)


def format_price(minor: int, currency: str) -> str:
    """``format_price(1200, "CNY") == "CNY 12.00"``: minor units with the currency's decimals."""
    decimals = CURRENCY_DECIMALS.get(currency, 2)
    if decimals == 0:
        return f"{currency} {minor}"
    whole, fraction = divmod(minor, 10**decimals)
    return f"{currency} {whole}.{fraction:0{decimals}d}"


def label_png(label: SaleLabel, font: LabelFont | None = None) -> bytes:
    """The label as a 1-bit PNG, 384 dots wide at 203 dpi: a 58 mm printer's raster line."""
    font = font or find_label_font()
    layout = _layout(label, font)
    image = Image.new("1", (PRINT_WIDTH_DOTS, layout.height), 1)
    draw = ImageDraw.Draw(image)
    for text in layout.texts:
        anchor = {"left": "ls", "center": "ms", "right": "rs"}[text.align]
        draw.text((text.x, text.baseline), text.text, font=_pil_font(font, text.size), fill=0, anchor=anchor)
    for rule in layout.rules:
        draw.rectangle((SIDE_PADDING, rule.y, SIDE_PADDING + TEXT_WIDTH - 1, rule.y + rule.thickness - 1), fill=0)
    qr = layout.qr
    for row, start, length in qr.dark_runs():
        x, y = qr.x + start * qr.module, qr.y + row * qr.module
        draw.rectangle((x, y, x + length * qr.module - 1, y + qr.module - 1), fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(DPI, DPI))
    return buffer.getvalue()


def label_pdf(label: SaleLabel, font: LabelFont | None = None) -> bytes:
    """The label as a one-page PDF, 58 mm wide, font embedded, byte-for-byte reproducible."""
    font = font or find_label_font()
    layout = _layout(label, font)
    point = 72 / DPI  # one dot in PDF points
    margin = (PAPER_WIDTH_MM * mm - PRINT_WIDTH_DOTS * point) / 2
    height = layout.height * point

    def x_of(dots: float) -> float:
        return margin + dots * point

    def y_of(dots: float) -> float:  # PDF's origin is the bottom left corner
        return height - dots * point

    buffer = io.BytesIO()
    # invariant=1 pins the creation date and document id, so the same label gives the same bytes.
    pdf = canvas.Canvas(buffer, pagesize=(PAPER_WIDTH_MM * mm, height), invariant=1)
    pdf.setTitle(f"{label.stall_name}: {label.product_text}, lot {label.lot}")
    pdf.setCreator("FreshLedger")
    font_name = _pdf_font(font)
    draw_at = {"left": pdf.drawString, "center": pdf.drawCentredString, "right": pdf.drawRightString}
    for text in layout.texts:
        pdf.setFont(font_name, text.size * point)
        draw_at[text.align](x_of(text.x), y_of(text.baseline), text.text)
    for rule in layout.rules:
        pdf.rect(x_of(SIDE_PADDING), y_of(rule.y + rule.thickness), TEXT_WIDTH * point, rule.thickness * point, 0, 1)
    # One path of all dark runs: separate rectangles can leave hairline seams in some renderers.
    qr = layout.qr
    path = pdf.beginPath()
    for row, start, length in qr.dark_runs():
        top = qr.y + row * qr.module
        path.rect(x_of(qr.x + start * qr.module), y_of(top + qr.module), length * qr.module * point, qr.module * point)
    pdf.drawPath(path, stroke=0, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# Layout: positions in dots from the top left of the 384-dot print line, shared by both outputs.

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class _Text:
    x: int
    baseline: int
    text: str
    size: int
    align: Align


@dataclass(frozen=True)
class _Rule:
    y: int
    thickness: int


@dataclass(frozen=True)
class _Qr:
    x: int
    y: int
    module: int
    matrix: list[list[bool]]

    @property
    def side(self) -> int:
        return len(self.matrix) * self.module

    def dark_runs(self) -> list[tuple[int, int, int]]:
        """(row, first column, length) of each horizontal run of dark modules."""
        runs = []
        for r, row in enumerate(self.matrix):
            c = 0
            while c < len(row):
                if row[c]:
                    start = c
                    while c < len(row) and row[c]:
                        c += 1
                    runs.append((r, start, c - start))
                else:
                    c += 1
        return runs


@dataclass(frozen=True)
class _Layout:
    height: int
    texts: list[_Text]
    rules: list[_Rule]
    qr: _Qr


class _Flow:
    """Places lines top to bottom; `y` is the top of the next line."""

    def __init__(self, font: LabelFont) -> None:
        self.font = font
        self.y = TOP_MARGIN
        self.texts: list[_Text] = []
        self.rules: list[_Rule] = []

    def measure(self, size: int) -> Callable[[str], float]:
        return _pil_font(self.font, size).getlength

    def line(self, text: str, size: int, align: Align = "left", x: int | None = None) -> None:
        ascent, descent = _pil_font(self.font, size).getmetrics()
        if x is None:
            x = {"left": SIDE_PADDING, "center": PRINT_WIDTH_DOTS // 2, "right": SIDE_PADDING + TEXT_WIDTH}[align]
        self.texts.append(_Text(x, self.y + ascent, text, size, align))
        self.y += ascent + descent + LINE_GAP

    def paragraph(self, text: str, size: int, align: Align = "left") -> None:
        for line in wrap_text(text, TEXT_WIDTH, self.measure(size)):
            self.line(line, size, align)

    def row(self, key: str, value: str, size: int = BODY_SIZE) -> None:
        """`key` on the left and `value` on the right; the value on its own lines if both don't fit."""
        measure = self.measure(size)
        if measure(key) + measure("  ") + measure(value) <= TEXT_WIDTH:
            ascent = _pil_font(self.font, size).getmetrics()[0]
            self.texts.append(_Text(SIDE_PADDING + TEXT_WIDTH, self.y + ascent, value, size, "right"))
            self.line(key, size)
        else:
            self.line(key, size)
            self.paragraph(value, size, "right")

    def rule(self, thickness: int = 2) -> None:
        self.y += LINE_GAP
        self.rules.append(_Rule(self.y, thickness))  # across the text width
        self.y += thickness + 2 * LINE_GAP


def _layout(label: SaleLabel, font: LabelFont) -> _Layout:
    flow = _Flow(font)
    flow.paragraph(label.stall_name, TITLE_SIZE, "center")
    flow.paragraph(label.product_text, BODY_SIZE, "center")
    flow.rule()
    flow.row("Lot", label.lot)
    flow.row("Date", label.sold_at_text)
    flow.row("Quantity", label.quantity_text)
    flow.row("Price", label.price_text, TITLE_SIZE)
    flow.rule()
    qr = _place_qr(label.uri, flow.y)
    flow.y += qr.side  # the code's own quiet zone separates it from the text
    flow.paragraph(label.uri, SMALL_SIZE, "center")
    return _Layout(flow.y + BOTTOM_FEED, flow.texts, flow.rules, qr)


def _place_qr(uri: str, top: int) -> _Qr:
    matrix = qr_matrix(uri)
    module = min(MAX_MODULE_DOTS, PRINT_WIDTH_DOTS // len(matrix))
    if module < MIN_MODULE_DOTS:
        raise ValueError(f"URI too long for a {PAPER_WIDTH_MM} mm label's QR code ({len(uri)} characters): {uri}")
    return _Qr((PRINT_WIDTH_DOTS - len(matrix) * module) // 2, top, module, matrix)


# A line may break after each CJK character, at spaces and after a "/" (so a URI breaks
# between its segments); other runs stay whole unless a run alone is wider than the line.
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_TOKENS = re.compile(rf"[{_CJK}]|[^\s/{_CJK}]*/+\s*|[^\s/{_CJK}]+\s*|\s+")


def wrap_text(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """`text` in lines no wider than `width` as `measure` measures them (greedy)."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(" ".join(text.split())):
        if not (line or token.strip()):
            continue  # no line starts with a space
        if measure((line + token).rstrip()) <= width:
            line += token
            continue
        if line:
            lines.append(line.rstrip())
            line = ""
        if not token.strip():
            continue
        for char in token.rstrip():  # only a run wider than a whole line gets here with text
            if line and measure(line + char) > width:
                lines.append(line)
                line = ""
            line += char
        line += token[len(token.rstrip()) :]
    if line or not lines:
        lines.append(line.rstrip())
    return lines


@lru_cache(maxsize=32)
def _pil_font(font: LabelFont, size: int) -> ImageFont.FreeTypeFont:
    # Basic layout (no raqm) gives the same pixels whichever shaping libraries Pillow has.
    return ImageFont.truetype(str(font.path), size, index=font.index, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=8)
def _pdf_font(font: LabelFont) -> str:
    """Registers `font` with reportlab once (parsing a CJK font takes a while); its name."""
    name = f"Label-{font.path.stem}-{font.index}"
    pdfmetrics.registerFont(TTFont(name, str(font.path), subfontIndex=font.index))
    return name
