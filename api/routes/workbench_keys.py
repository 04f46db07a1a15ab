"""The market authority's screen of a participant's API keys: the list (never a secret: only
its hash is kept), issuing a key (its secret shown once, on the answer to the form, and
nowhere else: not stored, not logged, not shown again), and revoking one (refused by the API
from the next request on: the key cache is told at once).

Issuing is keyed by the form: the key's id comes from the form's key
(:func:`ledger.store.api_keys.key_id_for`), so a second submit of the same form finds the
key issued and issues nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.schemas import Address
from api.workbench.fields import Reader
from api.workbench.render import FormState, render, when
from api.workbench.session import FormDep, Refused, SignedIn, person_with
from api.workbench.submit import form_key_of, new_form_key
from ledger.queries.batches import list_participants
from ledger.store.api_keys import KEY_ID, KeyAlreadyIssued, issue_key, key_id_for, keys_of, revoke_key

router = APIRouter(prefix="/workbench", tags=["workbench"], include_in_schema=False)
Authority = Annotated[SignedIn, Depends(person_with("ADMIN"))]
KeyId = Annotated[str, Path(pattern=KEY_ID.pattern)]
MAX_LABEL = 200


def _name_of(who: SignedIn, address: str) -> str:
    """A registered participant's name, or the market authority's own; 404 page otherwise."""
    if address.lower() == who.address.lower():
        return who.t("role_admin")
    for p in list_participants(who.services.engine).items:
        if p.party.address.lower() == address.lower():
            return p.party.name or address
    raise Refused(404, "refused_not_found", who.lang)


def _keys_page(
    request: Request,
    who: SignedIn,
    address: str,
    name: str,
    *,
    f: FormState | None = None,
    form_key: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    t = who.t
    keys = [
        {
            "key_id": k.key_id,
            "label": k.label,
            "created": when(k.created_at),
            "last_used": when(k.last_used_at) if k.last_used_at else t("never_used"),
            "state": t("key_revoked_at", when=when(k.revoked_at)) if k.revoked else t("key_active"),
            "revoked": k.revoked,
        }
        for k in keys_of(who.services.engine, address)
    ]
    return render(
        request,
        who,
        "keys.html",
        "title_keys",
        title_values={"name": name},
        status_code=status_code,
        address=address,
        name=name,
        keys=keys,
        f=f or FormState(),
        form_key=form_key or new_form_key(),
        notice=notice,
    )


@router.get("/authority/participants/{address}/keys", response_class=HTMLResponse)
def keys(request: Request, address: Address, who: Authority) -> Response:
    """The keys; after a revocation (``?revoked=<key id>``) its notice."""
    name, engine = _name_of(who, address), who.services.engine
    revoked = request.query_params.get("revoked", "")
    done = KEY_ID.match(revoked) and any(k.key_id == revoked and k.revoked for k in keys_of(engine, address))
    notice = who.t("key_revoked", key_id=revoked) if done else None
    return _keys_page(request, who, address, name, notice=notice)


@router.post("/authority/participants/{address}/keys", response_class=HTMLResponse)
async def issue(request: Request, address: Address, who: Authority, form: FormDep) -> Response:
    """Issue a key and show its secret this once (the page is not cached: no-store)."""
    name = await run_in_threadpool(_name_of, who, address)
    read = Reader(form, who.t)
    label = read.text("label", max_length=MAX_LABEL)
    form_key = form_key_of(form)
    if form_key is None:
        read.state.problem = who.t("error_form_key")
    if not read.state.ok or form_key is None or label is None:
        return await run_in_threadpool(
            lambda: _keys_page(request, who, address, name, f=read.state, form_key=form_key, status_code=422)
        )
    key_id = key_id_for(form_key)
    try:
        secret = await run_in_threadpool(lambda: issue_key(who.services.engine, address, label, key_id=key_id))
    except KeyAlreadyIssued:
        read.state.problem = who.t("key_already_issued", key_id=key_id)
        return await run_in_threadpool(lambda: _keys_page(request, who, address, name, f=read.state, status_code=409))
    return render(
        request,
        who,
        "key_issued.html",
        "title_key_issued",
        address=address,
        name=name,
        key_id=key_id,
        label=label,
        secret=secret,
    )


@router.post("/authority/participants/{address}/keys/{key_id}/revoke", response_class=HTMLResponse)
async def revoke(request: Request, address: Address, key_id: KeyId, who: Authority, form: FormDep) -> Response:
    """Revoke the key (revoking it again changes nothing) and drop the API's cached keys."""
    await run_in_threadpool(_name_of, who, address)
    record = await run_in_threadpool(revoke_key, who.services.engine, address, key_id)
    if record is None:
        raise Refused(404, "refused_not_found", who.lang)
    who.services.api_keys.forget()
    return RedirectResponse(f"/workbench/authority/participants/{address}/keys?revoked={key_id}", status_code=303)
