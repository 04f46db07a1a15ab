"""The shopper's pages, rendered on the server with Jinja2 (autoescaped, no script).

``render_shopper_page`` is what a phone shows after scanning a sale's QR code;
``render_not_found`` (for a 404) and ``render_bad_request`` (for a 400) are the resolver's
other answers. Routes choose the language with :func:`api.pages.i18n.negotiate` first.

Example::

    html = render_shopper_page(chain, lang="zh", links={"document": "/documents/{cid}"})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from api.pages.assets import TEMPLATES, page_css
from api.pages.banner import banner
from api.pages.blocks import Links
from api.pages.formats import Formatter
from api.pages.i18n import DEFAULT_LANGUAGE, HTML_LANG, LANGUAGES, NATIVE_NAMES, Messages, supported
from api.pages.lineage_svg import lineage_svg
from api.pages.notice_cards import NoticeCard
from api.pages.rating_form import RatingForm
from api.pages.receipt_scans import scan_notice
from api.pages.sections import lab_tests, origin_cards, summary
from api.pages.timeline import timeline
from ledger.queries.views import CustodyChain
from ledger.store.receipt_scans import ScanSummary


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    html_lang: str
    href: str
    current: bool


@cache
def environment() -> Environment:
    """The pages' Jinja2 environment: HTML autoescaping on, undefined names are errors."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_shopper_page(
    chain: CustodyChain,
    *,
    lang: str,
    links: Mapping[str, str] | None = None,
    tz: tzinfo = UTC,
    product_name: str | None = None,
    rating: RatingForm | None = None,
    notices: Sequence[NoticeCard] = (),
    scans: ScanSummary | None = None,
    scan_window_s: int = 3600,
) -> str:
    """The page of one sale: banner, purchase, lineage picture, origins, lab tests, every step.

    `links` overrides :data:`api.pages.blocks.DEFAULT_LINKS` (documents, language switch) and may
    add ``stall`` (``{address}``); times are shown in `tz`; `product_name` titles the page when
    the caller knows the GTIN's product; `rating` adds the stall rating form; `notices` are the
    current notices about the lot, its stall, or the whole market; `scans` the receipt's scans
    (flagged ones as possibly copied within `scan_window_s`).
    """
    t, page_links = Messages(_language(lang)), Links(links)
    fmt = Formatter(t.lang, t, tz)
    return _render(
        "shopper.html",
        t,
        page_links,
        banner=banner(chain, t, fmt),
        summary=summary(chain, t, fmt, page_links, product_name),
        lineage=Markup(lineage_svg(chain, lang=t.lang)),  # built from escaped text only
        origins=origin_cards(chain, t, fmt, page_links),
        tests=lab_tests(chain, t, fmt, page_links),
        steps=timeline(chain, t, fmt, page_links),
        sale=chain.sale,
        as_of_block=chain.as_of_block,
        zone=fmt.zone(chain.sale.time),
        rating=rating,
        notices=list(notices),
        scans=scan_notice(scans, t, fmt, scan_window_s),
    )


def render_not_found(lang: str, code: str | None = None, *, links: Mapping[str, str] | None = None) -> str:
    """The body of a 404: no sale for this code (shown back to the shopper as scanned)."""
    t = Messages(_language(lang))
    return _render("not_found.html", t, Links(links), code=code)


def render_sale_pending(lang: str, code: str | None = None, *, links: Mapping[str, str] | None = None) -> str:
    """The body of a 202: the code's sale was accepted and is being recorded."""
    t = Messages(_language(lang))
    return _render("sale_pending.html", t, Links(links), code=code)


def render_bad_request(lang: str, message: str | None = None, *, links: Mapping[str, str] | None = None) -> str:
    """The body of a 400: the address is not a product code; `message` says why (as given)."""
    t = Messages(_language(lang))
    return _render("bad_request.html", t, Links(links), message=message)


def _render(template: str, t: Messages, links: Links, **context: Any) -> str:
    languages = [
        LanguageLink(code, NATIVE_NAMES[code], HTML_LANG[code], links.lang(code), code == t.lang) for code in LANGUAGES
    ]
    return environment().get_template(template).render(t=t, languages=languages, css=stylesheet(), **context)


def stylesheet() -> Markup:
    """The pages' CSS (see :mod:`api.pages.assets`)."""
    return page_css()


def _language(lang: str) -> str:
    return supported(lang) or DEFAULT_LANGUAGE
