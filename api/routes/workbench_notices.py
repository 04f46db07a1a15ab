"""The regulator's notice form: a title and a body in Korean, Chinese and English (any of
them), the days it is shown, and optionally the lot and the stall it concerns. Checked as
``POST /notices`` checks it (:class:`ledger.notices.NoticeText`,
:func:`ledger.notices.window.check_window`, :func:`ledger.notices.window.check_concerns`), the
text stored as a document, and ``publishNotice`` sent through the durable queue keyed by the
form, so a second submit publishes nothing twice and the person is kept beside it. Below, the
notices shown now."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from api.workbench.fields import Reader
from api.workbench.render import FormState, render, when
from api.workbench.session import FormDep, SignedIn, person_with
from api.workbench.submit import new_form_key, submit
from ledger.chain.freshledger import batch_id_of
from ledger.errors import NotFound
from ledger.hexes import to_hex
from ledger.notices import NOTICE_LANGUAGES, NoticeInvalid, NoticeText
from ledger.notices.text import MAX_BODY, MAX_TITLE, MEDIA_TYPE
from ledger.notices.window import check_concerns, check_window
from ledger.queries.notices import current_notices
from ledger.queries.stalls import vendor_rows
from ledger.store.products import product_names

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
Regulator = Annotated[SignedIn, Depends(person_with("REGULATOR"))]
FORM = "/workbench/regulator/notices"


def _stalls(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {row["address"]: row["name"] for row in vendor_rows(conn, include_suspended=False)}


def _page(request: Request, who: SignedIn, state: FormState, form_key: str, status_code: int = 200) -> Response:
    services = who.services
    tz = ZoneInfo(services.settings.market_timezone)
    products = sorted(product_names(services.engine, who.lang).items(), key=lambda item: item[1])
    stalls = sorted(_stalls(services.engine).items(), key=lambda item: item[1])
    shown = []
    for row in current_notices(services.engine, int(time.time())):
        text = services.published.notice(row.cid)
        shown.append(
            {
                "title": text.title_in(who.lang) if text else row.cid,
                "body": text.body_in(who.lang) if text else "",
                "window": f"{when(row.valid_from, tz)} \u2013 {when(row.valid_until, tz)}",
            }
        )
    today = datetime.now(tz).date()
    state.values.setdefault("valid_from", today.isoformat())
    state.values.setdefault("valid_until", (today + timedelta(days=7)).isoformat())
    return render(
        request,
        who,
        "notice.html",
        "title_notices",
        status_code=status_code,
        f=state,
        form_key=form_key,
        notice_languages=[(lang, who.t(f"language_{lang}")) for lang in _order(who.lang)],
        products=[("", who.t("no_lot")), *products],
        stalls=[("", who.t("no_stall")), *stalls],
        notices=shown,
        max_title=MAX_TITLE,
        max_body=MAX_BODY,
    )


def _order(lang: str) -> list[str]:
    """The person's language first, then the others in the market's order."""
    return [lang, *(code for code in NOTICE_LANGUAGES if code != lang)]


@router.get("/regulator/notices", response_class=HTMLResponse)
def notice_form(request: Request, who: Regulator) -> Response:
    return _page(request, who, FormState(), new_form_key())


def _day(read: Reader, name: str) -> date | None:
    try:
        return date.fromisoformat(read.state.values.get(name, "").strip())
    except ValueError:
        read.fail(name, "error_date")
        return None


def _text(read: Reader, lang: str) -> NoticeText | None:
    """The title and body typed in `lang` (None when both are empty), checked as the API does."""
    title = read.state.values.get(f"title_{lang}", "")
    body = read.state.values.get(f"body_{lang}", "")
    if not title.strip() and not body.strip():
        return None
    if not title.strip() or len(title) > MAX_TITLE or "\n" in title:
        read.fail(f"title_{lang}", "error_notice_title")
        return None
    if not body.strip() or len(body) > MAX_BODY:
        read.fail(f"body_{lang}", "error_notice_body")
        return None
    try:
        return NoticeText.build({lang: title}, {lang: body})
    except NoticeInvalid:  # nothing left after control characters are dropped
        read.fail(f"body_{lang}", "error_notice_body")
        return None


@router.post("/regulator/notices", response_class=HTMLResponse)
async def publish(request: Request, who: Regulator, form: FormDep) -> Response:
    """Check every field (errors beside each), store the text, queue ``publishNotice``."""
    services = who.services
    read = Reader(form, who.t)
    texts = [text for lang in _order(who.lang) if (text := _text(read, lang)) is not None]
    if not texts and not read.state.errors:
        read.fail(f"title_{who.lang}", "error_notice_text")
    tz = ZoneInfo(services.settings.market_timezone)
    first, last = _day(read, "valid_from"), _day(read, "valid_until")
    window = None
    if first is not None and last is not None:
        # Shown from the start of the first day to the end of the last, in the market's time.
        start = int(datetime.combine(first, datetime.min.time(), tz).timestamp())
        end = int(datetime.combine(last + timedelta(days=1), datetime.min.time(), tz).timestamp())
        try:
            check_window(start, end, int(time.time()))
            window = (start, end)
        except (NoticeInvalid, OverflowError):
            read.fail("valid_until", "error_notice_window")
    products = await run_in_threadpool(product_names, services.engine, who.lang)
    gtin = read.state.values.get("gtin", "")
    lot_code = read.state.values.get("lot", "").strip()
    batch_id = None
    if gtin or lot_code:  # a lot is named by its product and its code, both or neither
        chosen = read.choice("gtin", products) if gtin else None
        code = read.lot() if lot_code else None
        if not gtin:
            read.fail("gtin", "error_notice_product")
        if not lot_code:
            read.fail("lot", "error_required")
        if chosen and code:
            batch_id = batch_id_of(chosen, code)
    stall = None
    if read.state.values.get("stall"):
        stall = read.choice("stall", await run_in_threadpool(_stalls, services.engine))
    if read.state.ok and (batch_id is not None or stall is not None):
        try:
            await run_in_threadpool(check_concerns, services.ledger, batch_id, stall)
        except NotFound:
            read.fail("lot", "error_lot_unknown")
        except NoticeInvalid:
            read.fail("stall", "error_choice")
    form_key = str(form.get("form_key") or new_form_key())
    if not read.state.ok or window is None:
        return _page(request, who, read.state, form_key, 422)
    text = NoticeText(
        {lang: part.title[lang] for part in texts for lang in part.title},
        {lang: part.body[lang] for part in texts for lang in part.body},
    )
    cid = await run_in_threadpool(services.documents.put, text.document(), MEDIA_TYPE)
    payload = {
        "cid": to_hex(bytes(cid)),
        "valid_from": window[0],
        "valid_until": window[1],
        "batch_id": to_hex(batch_id) if batch_id is not None else None,
        "stall": stall,
    }
    done = await submit(request, who, form, "notice", payload, "notice")
    if done.intent is None or done.refusal:
        read.state.problem = done.refusal
        return _page(request, who, read.state, new_form_key() if done.intent else form_key, 409)
    return RedirectResponse(f"/workbench/intents/{done.intent.id}", status_code=303)
