"""The demo market's documents: harvest photos, a customs declaration and lab reports.

They are generated, not real, and say so on their face ("demo"), but they are real files of
their kind (a JPEG a browser shows, PDFs a viewer opens) so that the shopper page's document
links open something. Generation is deterministic (reportlab's invariant mode, no dates in
the files), so a document's CID is the same on every run and every machine with the same
library versions.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

JPEG = "image/jpeg"
PDF = "application/pdf"
PHOTO_SIZE = (640, 427)
#: Rows of soil and leaves: enough texture that the photo reads as a field at a glance.
FIELD_ROWS = 9


@dataclass(frozen=True)
class Paper:
    """A generated document: its bytes and media type."""

    data: bytes
    media_type: str


def harvest_photo(lot: str, farm: str, product: str, leaf: tuple[int, int, int]) -> Paper:
    """A field with rows of `leaf`-coloured crop under a sky, captioned with the lot."""
    width, height = PHOTO_SIZE
    image = Image.new("RGB", PHOTO_SIZE, (150, 190, 230))
    draw = ImageDraw.Draw(image)
    horizon = height // 3
    draw.rectangle((0, horizon, width, height), fill=(110, 78, 50))
    for row in range(FIELD_ROWS):
        top = horizon + 8 + row * (height - horizon) // FIELD_ROWS
        thickness = 6 + row * 2  # rows nearer the camera look wider
        shade = tuple(max(0, c - 40 + row * 8) for c in leaf)
        draw.rectangle((0, top, width, top + thickness), fill=shade)
    draw.rectangle((0, height - 60, width, height), fill=(0, 0, 0))
    draw.text((12, height - 52), f"{product}  lot {lot}", fill=(255, 255, 255))
    draw.text((12, height - 32), f"{farm}  (FreshLedger demo photo)", fill=(220, 220, 220))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return Paper(out.getvalue(), JPEG)


def customs_declaration(lines: list[tuple[str, str]]) -> Paper:
    """An import declaration: a title and `lines` of (field, value)."""
    return Paper(_pdf("Import Goods Declaration (FreshLedger demo)", lines), PDF)


def lab_report(lines: list[tuple[str, str]]) -> Paper:
    """A residue test report: a title and `lines` of (field, value)."""
    return Paper(_pdf("Food Safety Rapid Test Report (FreshLedger demo)", lines), PDF)


def _pdf(title: str, lines: list[tuple[str, str]]) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)  # invariant: no creation date, same bytes every run
    _, height = A4
    canvas.setFont("Helvetica-Bold", 15)
    canvas.drawString(56, height - 72, title)
    canvas.setFont("Helvetica", 11)
    y = height - 110
    for label, value in lines:
        canvas.drawString(56, y, f"{label}:")
        canvas.drawString(230, y, value)
        y -= 18
    canvas.showPage()
    canvas.save()
    return out.getvalue()
