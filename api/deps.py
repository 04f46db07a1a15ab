"""Dependencies as ``Annotated`` aliases: services, the authenticated participant, roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from eth_account.signers.local import LocalAccount
from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.roles import Roles
from api.services import Services
from ledger.store.api_keys import address_for_key
from ledger.vocabulary import DEFAULT_ADMIN_ROLE, has_role

_bearer = HTTPBearer(auto_error=False, description="API key issued by the market authority")
_header = APIKeyHeader(name="X-API-Key", auto_error=False)


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


@dataclass(frozen=True)
class Caller:
    """The authenticated participant: its address, on-chain record and signing account."""

    address: str
    roles: int
    suspended: bool
    is_admin: bool
    services: Services

    def has(self, role: str) -> bool:
        return self.is_admin if role == "ADMIN" else has_role(self.roles, role)

    @property
    def account(self) -> LocalAccount:
        """The key the market keeps for the caller; a participant that keeps its own key is
        told where its signed transactions go (the keystore's NotFound would answer 404)."""
        if not self.services.keys.has(self.address):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"the market does not hold the key of {self.address}: sign the transaction yourself "
                "and send it to POST /transactions",
            )
        return self.services.keys.account(self.address)


async def current_caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    api_key: Annotated[str | None, Security(_header)],
) -> Caller:
    # The services straight from the app, not through the `get_services` dependency: each
    # dependency FastAPI solves costs a busy API's event loop a few microseconds a request.
    services: Services = request.app.state.services
    key = bearer.credentials if bearer else api_key
    if not key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "an API key is required", {"WWW-Authenticate": "Bearer"})
    return await caller_of_key(services, key)


async def caller_of_key(services: Services, key: str) -> Caller:
    """The participant API key `key` belongs to, with its roles (401 for a key the market does
    not know or has revoked)."""
    # Answered on the event loop when the key's owner and roles are cached (a busy API's
    # usual case): a trip through the thread pool cost more than the rest of the check.
    address = services.api_keys.cached(key)
    known = services.roles.cached(address) if address is not None else None
    if address is not None and known is not None:
        return Caller(address, known.roles, known.suspended, known.is_admin, services)
    return await run_in_threadpool(_caller_of_key, services, key)


def _caller_of_key(services: Services, key: str) -> Caller:
    address = services.api_keys.get(key, lambda: address_for_key(services.engine, key))
    if address is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked API key", {"WWW-Authenticate": "Bearer"})
    return caller_for(services, address)


def caller_for(services: Services, address: str) -> Caller:
    """Participant `address` with its roles as the contract has them (an API key's or a
    workbench person's participant)."""

    # Roles come from the contract itself: the write path asks the chain, so a grant or a
    # suspension counts at once (or after role_cache_s), not after the next indexer poll.
    def read() -> Roles:
        ledger = services.ledger
        (record,) = ledger.read("participant", address)
        (is_admin,) = ledger.read("hasRole", DEFAULT_ADMIN_ROLE, address)
        return Roles(int(record["roles"]), bool(record["suspended"]), bool(is_admin))

    known = services.roles.get(address, read)
    return Caller(address, known.roles, known.suspended, known.is_admin, services)


CallerDep = Annotated[Caller, Depends(current_caller)]


def refuse_suspended(caller: Caller) -> None:
    """403 when `caller` is suspended: the one place the rule lives."""
    if caller.suspended:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"participant {caller.address} is suspended")


async def active_caller(caller: CallerDep) -> Caller:
    """The caller, unless suspended (403): for what no contract call checks, such as uploads."""
    refuse_suspended(caller)
    return caller


ActiveCallerDep = Annotated[Caller, Depends(active_caller)]


def require(role: str) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency that lets only active callers holding `role` through (403 otherwise).

    It depends on the caller directly and refuses a suspended one itself (the same
    :func:`refuse_suspended` as :func:`active_caller`): one dependency fewer to solve on
    every write."""

    async def check(caller: CallerDep) -> Caller:
        refuse_suspended(caller)
        if not caller.has(role):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {role.lower()} role")
        return caller

    return check
