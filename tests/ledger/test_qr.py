"""QR codes read back by a real decoder (zxing-cpp): the SVG rendered by resvg, the PNG as is."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
import resvg_py
import zxingcpp
from PIL import Image

from ledger.digital_link import DigitalLink, build_uri
from ledger.qr import QUIET_ZONE, qr_matrix, qr_png, qr_svg

REPO = Path(__file__).resolve().parents[2]
URIS = [
    build_uri("market.example", DigitalLink("09506000134352", lot="ABC123", serial="12")),
    build_uri("127.0.0.1:8000", DigitalLink("96385074", lot="2025/06-A", serial="1"), scheme="http"),
    build_uri("market.example", DigitalLink("09506000134352", lot="L!\"%&'()*+,-./:;<=", serial="?_Zz09")),
    build_uri("shouguang-vegetable-market.example.cn", DigitalLink("09506000134352", lot="X" * 20, serial="9" * 20)),
]


def decode(image: Image.Image) -> zxingcpp.Barcode:
    """The one QR code in `image`."""
    found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, found
    return found[0]


def render_svg(svg: str) -> Image.Image:
    # resvg needs a dpi to turn the SVG's mm size into pixels; 203 dpi is a printer's.
    return Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=svg, dpi=203.0))))


@pytest.mark.parametrize("uri", URIS)
def test_qr_png_decodes_to_the_uri(uri: str) -> None:
    code = decode(Image.open(io.BytesIO(qr_png(uri))))
    assert code.text == uri
    assert code.ec_level == "M"


@pytest.mark.parametrize("uri", URIS)
def test_qr_svg_decodes_to_the_uri(uri: str) -> None:
    code = decode(render_svg(qr_svg(uri)))
    assert code.text == uri
    assert code.ec_level == "M"


def test_qr_png_has_a_quiet_zone_of_four_modules() -> None:
    uri = URIS[0]
    modules = len(qr_matrix(uri))
    image = Image.open(io.BytesIO(qr_png(uri, box_size=5))).convert("L")
    assert image.size == (modules * 5, modules * 5)
    margin = QUIET_ZONE * 5
    inside = (margin, margin, image.width - margin, image.height - margin)
    whole, code = image.getextrema(), image.crop(inside).getextrema()
    assert whole == code == (0, 255)
    # Everything outside the code's own square is white.
    for band in [(0, 0, image.width, margin), (0, 0, margin, image.height)]:
        assert image.crop(band).getextrema() == (255, 255)
    for band in [
        (0, image.height - margin, image.width, image.height),
        (image.width - margin, 0, image.width, image.height),
    ]:
        assert image.crop(band).getextrema() == (255, 255)
    # The finder pattern's corner module sits right inside the quiet zone.
    assert image.getpixel((margin, margin)) == 0


def test_qr_svg_has_a_white_background_and_a_quiet_zone_of_four_modules() -> None:
    svg = qr_svg(URIS[0])
    modules = len(qr_matrix(URIS[0]))
    assert f'viewBox="0 0 {modules} {modules}"' in svg
    assert '<rect fill="white"' in svg
    path = re.search(r'<path d="([^"]+)"', svg)
    assert path is not None
    coordinates = [int(n) for n in re.findall(r"\d+", path.group(1))]
    assert min(coordinates) == QUIET_ZONE
    assert max(coordinates) == modules - QUIET_ZONE


def test_qr_matrix_includes_the_quiet_zone() -> None:
    matrix = qr_matrix(URIS[0])
    assert all(len(row) == len(matrix) for row in matrix)
    for i in range(QUIET_ZONE):
        assert not any(matrix[i]) and not any(matrix[-1 - i])
        assert not any(row[i] or row[-1 - i] for row in matrix)


def test_qr_png_box_size_scales_the_image() -> None:
    modules = len(qr_matrix(URIS[0]))
    assert Image.open(io.BytesIO(qr_png(URIS[0], box_size=3))).size == (modules * 3, modules * 3)
    with pytest.raises(ValueError, match="box_size must be at least 1 pixel, got 0"):
        qr_png(URIS[0], box_size=0)


def test_qr_rejects_an_empty_uri() -> None:
    for render in (qr_svg, qr_png, qr_matrix):
        with pytest.raises(ValueError, match="a QR code needs a non-empty URI"):
            render("")


def test_qr_output_is_the_same_in_another_process() -> None:
    """Same URI, same bytes: no randomness (hash seeds, set order) leaks into the code."""
    script = (
        "import hashlib, sys; from ledger.qr import qr_png, qr_svg; uri = sys.argv[1]; "
        "print(hashlib.sha256(qr_svg(uri).encode()).hexdigest(), hashlib.sha256(qr_png(uri)).hexdigest())"
    )
    here = (hashlib.sha256(qr_svg(URIS[1]).encode()).hexdigest(), hashlib.sha256(qr_png(URIS[1])).hexdigest())
    for seed in ("1", "2"):
        run = subprocess.run(
            [sys.executable, "-c", script, URIS[1]],
            env={"PYTHONHASHSEED": seed},
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        assert tuple(run.stdout.split()) == here
