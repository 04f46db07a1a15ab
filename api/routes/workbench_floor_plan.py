"""The market authority's floor-plan screen: the current plan drawn as the board draws it
(:func:`api.pages.floor_map.floor_map`), and a form to change it as JSON.

The plan comes typed (or pasted) into the form, or as a JSON file chosen in it. The text is
measured before it is parsed (its size, then its nesting: Python's parser
recurses per level, see :mod:`ledger.json_depth`), then checked by the very check behind
``PUT /market/layout`` (:func:`api.routes.market_map.checked_layout`), every problem listed
beside the field, and published the same way (the document stored, ``publishLayout`` on
the ledger: :func:`ledger.notices.publish.publish_layout`).

The same form sent twice publishes once: publishing is one at a time, the plans this server
published are remembered by form key, and a plan equal to the current one is not published
again (which also covers a form sent again after a restart)."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from api.limits import MAX_LAYOUT_BYTES
from api.pages.floor_map import floor_map
from api.pages.i18n import Messages
from api.routes.market_map import checked_layout, current_plan
from api.services import Services
from api.workbench.render import FormState, render
from api.workbench.session import FormDep, SignedIn, person_with
from api.workbench.submit import form_key_of, new_form_key
from ledger.errors import ContractRevert, NodeError, TransactionError
from ledger.json_depth import JsonTooDeep, check_json_depth
from ledger.notices import FloorPlan, LayoutInvalid
from ledger.notices.publish import Published, publish_layout
from ledger.queries.notices import latest_layout, stall_states
from ledger.queries.stalls import stall_directory

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
Authority = Annotated[SignedIn, Depends(person_with("ADMIN"))]
PLAN_FIELD = "plan"
#: A JSON file chosen instead of typing: it replaces the text field's plan.
FILE_FIELD = "plan_file"


@dataclass
class PlanForm(FormState):
    """The form's state, with every problem the plan's check found (listed beside the field)."""

    problems: list[str] = field(default_factory=list)


class PublishedForms:
    """The plans published from the workbench's form, by form key (the latest `size`), one
    publication at a time: a form sent again while its first sending is publishing waits for
    it and gets its answer."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._done: OrderedDict[str, Published | None] = OrderedDict()
        self._lock = threading.Lock()

    def publish_once(self, form_key: str, publish: Callable[[], Published | None]) -> tuple[Published | None, bool]:
        """`publish`'s answer for `form_key` (None: nothing to publish), and whether this
        call made it (False: a sending of the same form before did)."""
        with self._lock:
            if form_key in self._done:
                return self._done[form_key], False
            published = publish()
            self._done[form_key] = published
            while len(self._done) > self._size:
                self._done.popitem(last=False)
            return published, True


#: One per process, like the authority's account it signs with: form keys are random, so
#: two apps in one process (the tests) cannot meet in it.
PUBLISHED = PublishedForms()


def _map_of(services: Services, plan: FloorPlan | None, lang: str) -> Any:
    if plan is None:
        return None
    names = {entry.address: entry.name for entry in stall_directory(services.engine)}
    # No links in it: a picture (role=img) may not hold links; the stalls are listed below it.
    return floor_map(plan, stall_states(services.engine), names, Messages(lang))


def _plan_page(
    request: Request,
    who: SignedIn,
    *,
    f: PlanForm | None = None,
    form_key: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    services = who.services
    plan = current_plan(services)
    layout = latest_layout(services.engine)
    if f is None:
        text = json.dumps(json.loads(plan.document()), indent=2, ensure_ascii=False) if plan else ""
        f = PlanForm(values={PLAN_FIELD: text})
    stalls = [{"name": entry.name, "address": entry.address} for entry in stall_directory(services.engine)]
    return render(
        request,
        who,
        "floor_plan.html",
        "title_floor_plan",
        status_code=status_code,
        plan_svg=_map_of(services, plan, who.lang),
        published_block=layout.block_number if layout else None,
        stalls=stalls,
        f=f,
        form_key=form_key or new_form_key(),
        notice=notice,
    )


@router.get("/authority/floor-plan", response_class=HTMLResponse)
def floor_plan(request: Request, who: Authority) -> Response:
    return _plan_page(request, who)


def read_plan(text: str, max_depth: int, t: Callable[..., str]) -> tuple[dict[str, Any] | None, PlanForm]:
    """The plan's JSON text parsed (None after noting why not): bounded in size and depth
    before the parser sees it."""
    state = PlanForm(values={PLAN_FIELD: text})
    raw = text.encode("utf-8", "surrogatepass")
    if not text.strip():
        state.errors[PLAN_FIELD] = t("error_required")
        return None, state
    if len(raw) > MAX_LAYOUT_BYTES:
        state.errors[PLAN_FIELD] = t("error_plan_size", limit=MAX_LAYOUT_BYTES // 1024)
        state.values[PLAN_FIELD] = ""  # not sent back: a page as large would follow
        return None, state
    try:
        check_json_depth(raw, max_depth)
        data = json.loads(raw)
    except JsonTooDeep:
        state.errors[PLAN_FIELD] = t("error_plan_depth", limit=max_depth)
        return None, state
    except json.JSONDecodeError as exc:
        state.errors[PLAN_FIELD] = t("error_plan_json", detail=exc.msg, line=exc.lineno, column=exc.colno)
        return None, state
    except UnicodeDecodeError:
        state.errors[PLAN_FIELD] = t("error_plan_json", detail="not UTF-8", line=1, column=1)
        return None, state
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits)
        state.errors[PLAN_FIELD] = t("error_plan_number")
        return None, state
    if not isinstance(data, dict):
        state.errors[PLAN_FIELD] = t("floor_plan_problems", count=1)
        state.problems = ["a floor plan is a JSON object"]
        return None, state
    return data, state


async def _plan_text(form: FormData) -> str:
    """The plan's text: the chosen file's (read up to one byte over the limit, so that
    :func:`read_plan` can say it is too large), else the text field's."""
    part = form.get(FILE_FIELD)
    if isinstance(part, UploadFile) and part.filename:
        data = await part.read(MAX_LAYOUT_BYTES + 1)
        return data.decode("utf-8", "replace")
    text = form.get(PLAN_FIELD)
    return text if isinstance(text, str) else ""


@router.post("/authority/floor-plan", response_class=HTMLResponse)
async def publish(request: Request, who: Authority, form: FormDep) -> Response:
    """Check the plan (every problem beside the field), then publish it once."""
    services, t = who.services, who.t
    text = await _plan_text(form)
    data, state = read_plan(text, services.settings.limits.max_json_depth, t)
    form_key = form_key_of(form)
    if form_key is None:
        state.problem = t("error_form_key")
    plan: FloorPlan | None = None
    if data is not None:
        try:
            plan = await run_in_threadpool(checked_layout, services, data)
        except LayoutInvalid as exc:
            state.problems = exc.problems
            state.errors[PLAN_FIELD] = t("floor_plan_problems", count=len(exc.problems))
    if plan is None or form_key is None:
        return await run_in_threadpool(lambda: _plan_page(request, who, f=state, form_key=form_key, status_code=422))
    checked = plan

    def publish_if_new() -> Published | None:
        now = current_plan(services)
        if now is not None and now.document() == checked.document():
            return None
        return publish_layout(services.ledger, services.documents, who.caller.account, checked)

    try:
        published, _ = await run_in_threadpool(PUBLISHED.publish_once, form_key, publish_if_new)
    except (ContractRevert, TransactionError, NodeError) as exc:  # nothing published: the form may be sent again
        state.problem = f"{t('refused_by_ledger')} {exc}"
        status_code = 503 if isinstance(exc, NodeError) else 409
        return await run_in_threadpool(
            lambda: _plan_page(request, who, f=state, form_key=form_key, status_code=status_code)
        )
    notice = t("floor_plan_published", block=published.result.block_number) if published else t("floor_plan_unchanged")
    return await run_in_threadpool(lambda: _plan_page(request, who, notice=notice))
