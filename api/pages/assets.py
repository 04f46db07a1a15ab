"""The pages' own CSS and script, inlined into each page, and their Content-Security-Policy
hashes.

Each is one file, read once, and put into its ``<style>`` or ``<script>`` element exactly as
read, so the hash of the file is the hash the browser computes of the element: a page's
policy allows these and nothing else inline (an injected ``<script>`` or ``style`` runs nowhere).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path

from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: The shopper pages' stylesheet (no request: it works from a QR code's first load on a slow
#: connection), the board's, and the board's refresh script.
PAGES_CSS = TEMPLATES / "pages.css"
BOARD_CSS = TEMPLATES / "board.css"
BOARD_SCRIPT = TEMPLATES / "board_refresh.js"
#: The participants' workbench's stylesheet.
WORKBENCH_CSS = TEMPLATES / "workbench.css"
#: The market touchscreen's stylesheet (``/kiosk``).
KIOSK_CSS = TEMPLATES / "kiosk.css"


@cache
def page_css() -> Markup:
    """The shopper pages' CSS; our own file, so it goes into ``<style>`` as it is."""
    return Markup(PAGES_CSS.read_text(encoding="utf-8"))


@cache
def board_css() -> Markup:
    """The board's CSS."""
    return Markup(BOARD_CSS.read_text(encoding="utf-8"))


@cache
def board_script() -> Markup:
    """The board's refresh script: fetches the page's fragment and swaps it in."""
    return Markup(BOARD_SCRIPT.read_text(encoding="utf-8"))


@cache
def workbench_css() -> Markup:
    """The workbench's CSS."""
    return Markup(WORKBENCH_CSS.read_text(encoding="utf-8"))


def kiosk_css() -> Markup:
    """The touchscreen's CSS."""
    return Markup(KIOSK_CSS.read_text(encoding="utf-8"))


def csp_hash(text: str) -> str:
    """The CSP source of an inline element with content `text`: ``'sha256-...'``."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode('utf-8')).digest()).decode()}'"


def style_hashes() -> list[str]:
    """The CSP sources of every inline stylesheet a page may have."""
    return [csp_hash(page_css()), csp_hash(board_css()), csp_hash(workbench_css()), csp_hash(kiosk_css())]


def script_hashes() -> list[str]:
    """The CSP sources of every inline script a page may have."""
    return [csp_hash(board_script())]
