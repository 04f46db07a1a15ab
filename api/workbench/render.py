"""The workbench's pages: one layout (``workbench/base.html``), the person's language, the
screens of their roles in the navigation, and their CSRF token in every form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.pages.assets import workbench_css
from api.pages.i18n import HTML_LANG, LANGUAGES, NATIVE_NAMES
from api.pages.shopper import LanguageLink, environment
from api.workbench.messages import WorkbenchMessages
from api.workbench.session import Refused, SignedIn

#: The screens, in the order the navigation shows them, and the role each needs (None: anyone).
SCREENS: tuple[tuple[str, str, str | None], ...] = (
    ("/workbench", "nav_home", None),
    ("/workbench/supplier", "nav_supplier", "SUPPLIER"),
    ("/workbench/supplier/harvest", "nav_harvest", "SUPPLIER"),
    ("/workbench/supplier/sheet", "nav_sheet", "SUPPLIER"),
    ("/workbench/customs", "nav_customs", "CUSTOMS"),
    ("/workbench/vendor", "nav_vendor", "VENDOR"),
    ("/workbench/vendor/plu", "nav_plu", "VENDOR"),
    ("/workbench/lab", "nav_lab", "LAB"),
    ("/workbench/regulator", "nav_regulator", "REGULATOR"),
    ("/workbench/regulator/notices", "nav_notices", "REGULATOR"),
    ("/workbench/authority", "nav_authority", "ADMIN"),
    ("/workbench/authority/catalog", "nav_catalog", "ADMIN"),
    ("/workbench/authority/floor-plan", "nav_floor_plan", "ADMIN"),
    ("/workbench/activity", "nav_activity", None),
)


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    current: bool


@dataclass
class FormState:
    """What a form shows: the values typed (or prefilled), an error per field, and a problem
    with the whole form (the ledger's refusal, say)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.problem is None

    @property
    def first_error(self) -> str | None:
        """The field whose error comes first: the page opens with the focus on it (no
        script needed: ``autofocus``), so a keyboard or screen-reader user lands on it."""
        return next(iter(self.errors), None)


def navigation(who: SignedIn, path: str) -> list[NavItem]:
    t = who.t
    return [NavItem(href, t(label), href == path) for href, label, role in SCREENS if role is None or who.can(role)]


def language_links(request: Request, lang: str) -> list[LanguageLink]:
    links = []
    for code in LANGUAGES:
        query = dict(request.query_params)
        query["lang"] = code
        href = f"{request.url.path}?{urlencode(query)}"
        links.append(LanguageLink(code, NATIVE_NAMES[code], HTML_LANG[code], href, code == lang))
    return links


def render(
    request: Request,
    who: SignedIn | None,
    template: str,
    title_key: str,
    *,
    lang: str | None = None,
    status_code: int = 200,
    title_values: dict[str, Any] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A workbench page; `who` None for the sign-in page (no navigation)."""
    lang = lang or (who.lang if who else "en")
    t = WorkbenchMessages(lang)
    html = (
        environment()
        .get_template(f"workbench/{template}")
        .render(
            t=t,
            who=who,
            title=t(title_key, **(title_values or {})),
            css=workbench_css(),
            languages=language_links(request, t.lang),
            nav=navigation(who, request.url.path) if who else [],
            **context,
        )
    )
    headers = {"Cache-Control": "no-store", "Vary": "Cookie"}
    return HTMLResponse(html, status_code=status_code, headers=headers)


def render_refusal(exc: Refused) -> str:
    t = WorkbenchMessages(exc.lang)
    return (
        environment()
        .get_template("workbench/refusal.html")
        .render(
            t=t,
            who=None,
            title=t("title_refused"),
            css=workbench_css(),
            languages=[],
            nav=[],
            message=" ".join(filter(None, [t(exc.message_key, **exc.values), exc.detail])),
        )
    )


def when(moment: float | int | None, tz: Any = UTC) -> str:
    """A time as the market reads it: ``2026-11-25 14:03``."""
    if moment is None:
        return ""
    return datetime.fromtimestamp(float(moment), tz).strftime("%Y-%m-%d %H:%M")
