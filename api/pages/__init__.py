"""The shopper's pages: what a phone shows after scanning a sale's QR code, rendered on the
server from ``ledger.queries.views.CustodyChain`` in English, Korean or simplified Chinese.

- :mod:`api.pages.i18n`: ``negotiate`` (``?lang=``, cookie, Accept-Language) and the messages;
- :mod:`api.pages.shopper`: ``render_shopper_page``, ``render_not_found``, ``render_bad_request``;
- :mod:`api.pages.lineage_svg`: ``lineage_svg``, the lineage picture drawn on the server.

The sections are built by ``sections``, ``banner`` and ``timeline`` (translated and
formatted by ``formats``) and laid out by the Jinja2 templates in ``api/templates/``.
"""

from api.pages.i18n import LANG_COOKIE, LANGUAGES, negotiate
from api.pages.lineage_svg import lineage_svg
from api.pages.shopper import render_bad_request, render_not_found, render_shopper_page

__all__ = [
    "LANGUAGES",
    "LANG_COOKIE",
    "lineage_svg",
    "negotiate",
    "render_bad_request",
    "render_not_found",
    "render_shopper_page",
]
