"""QR codes of sales' Digital Link URIs, as SVG (pages) and PNG (downloads), and as a module
matrix for the printed label.

All three come from one encoder configuration, so a sale's code is the same wherever it is
shown. The output is deterministic: the same URI gives the same bytes (qrcode picks the mask
pattern by its penalty score, not at random).

Example::

    svg = qr_svg("https://market.example/01/09506000134352/10/ABC/21/12")
    png = qr_png("https://market.example/01/09506000134352/10/ABC/21/12", box_size=8)
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathFillImage

#: Level M restores up to 15% of damaged modules: enough for smudged thermal paper or a
#: creased label, while keeping a sale URI at QR version 4-6, which phones read quickly.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
#: The quiet zone ISO/IEC 18004 requires around a QR code, in modules.
QUIET_ZONE = 4
#: Pixels per module of the PNG unless the caller asks otherwise: a version-5 code is then
#: 450 px square, crisp on high-density screens.
DEFAULT_BOX_SIZE = 10


def qr_svg(uri: str) -> str:
    """`uri` as an SVG document: one path of dark modules on a white rectangle.

    The white background (qrcode's path-with-fill factory) keeps the code readable on a page
    with a dark or coloured background, where a transparent SVG would not scan.
    """
    image = _encoder(uri).make_image(image_factory=SvgPathFillImage)
    return image.to_string(encoding="unicode")


def qr_png(uri: str, box_size: int = DEFAULT_BOX_SIZE) -> bytes:
    """`uri` as a black-and-white PNG with `box_size` pixels per module."""
    if box_size < 1:
        raise ValueError(f"box_size must be at least 1 pixel, got {box_size}")
    image = _encoder(uri, box_size).make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_matrix(uri: str) -> list[list[bool]]:
    """The modules of `uri`'s code, quiet zone included, row by row (True is dark)."""
    return _encoder(uri).get_matrix()


def _encoder(uri: str, box_size: int = DEFAULT_BOX_SIZE) -> qrcode.QRCode:
    """A QRCode holding `uri` at the smallest version that fits."""
    if not uri:
        raise ValueError("a QR code needs a non-empty URI")
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE, box_size=box_size)
    code.add_data(uri)
    code.make(fit=True)
    return code


def qr_text(uri: str) -> str:
    """`uri`'s code drawn with Unicode half blocks for a terminal: two module rows a line,
    dark modules as spaces on a light background, so it scans on a dark terminal too."""
    matrix = qr_matrix(uri)
    if len(matrix) % 2:
        matrix = [*matrix, [False] * len(matrix[0])]
    glyphs = {(False, False): "█", (True, False): "▄", (False, True): "▀", (True, True): " "}
    return "\n".join(
        "".join(glyphs[top, bottom] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(matrix[::2], matrix[1::2], strict=True)
    )
