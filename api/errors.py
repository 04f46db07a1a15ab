"""Domain errors to HTTP: one handler per error family, and a human sentence for every
custom error the contract can revert with.

A revert answers with the contract's error name, its arguments and a sentence for people,
e.g. 409 ``{"error": "BatchQuarantined", "message": "batch SB-2611-07-B failed its residue
test on 2026-11-25; only a regulator can release it", ...}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from api.views import plain
from ledger.errors import (
    ContractRevert,
    DocumentError,
    DocumentIntegrityError,
    DocumentNotFound,
    FilePending,
    LedgerError,
    MediaTypeFixed,
    NodeError,
    NotFound,
    TransactionError,
    TransactionTimeout,
)
from ledger.queries.batches import get_batch, latest_failed_inspection_time
from ledger.vocabulary import DEFAULT_ADMIN_ROLE, ROLE_IDS

#: HTTP status of each custom error; anything else is 422 (the input was refused).
REVERT_STATUS = {
    "AccessControlUnauthorizedAccount": status.HTTP_403_FORBIDDEN,
    "ParticipantNotActive": status.HTTP_403_FORBIDDEN,
    "ParticipantNotRegistered": status.HTTP_403_FORBIDDEN,
    "NoticeAuthorUnauthorized": status.HTTP_403_FORBIDDEN,
    "NotCustodian": status.HTTP_403_FORBIDDEN,
    "NotPendingRecipient": status.HTTP_403_FORBIDDEN,
    "BatchNotFound": status.HTTP_404_NOT_FOUND,
    "BatchQuarantined": status.HTTP_409_CONFLICT,
    "BatchRecalled": status.HTTP_409_CONFLICT,
    "BatchInTransit": status.HTTP_409_CONFLICT,
    "BatchSoldOut": status.HTTP_409_CONFLICT,
    "BatchAlreadyExists": status.HTTP_409_CONFLICT,
    "BatchNotQuarantined": status.HTTP_409_CONFLICT,
    "InsufficientQuantity": status.HTTP_409_CONFLICT,
    "NoPendingHandOff": status.HTTP_409_CONFLICT,
    "HandOffToSelf": status.HTTP_409_CONFLICT,
    "MergeMismatch": status.HTTP_409_CONFLICT,
    "ParticipantAlreadyRegistered": status.HTTP_409_CONFLICT,
    "ParticipantStateUnchanged": status.HTTP_409_CONFLICT,
    "DeclarationExists": status.HTTP_409_CONFLICT,
    "DeclarationOutOfOrder": status.HTTP_409_CONFLICT,
    "DeclarationMismatch": status.HTTP_409_CONFLICT,
}

#: The batch calls' errors that name a refused item around the single call's error, and the
#: word for the item; the answer's status is the inner error's.
ITEM_WORDS = {"HarvestLotInvalid": "lot", "ImportLineInvalid": "line", "SaleInvalid": "sale"}

SENTENCES = {
    "AccessControlUnauthorizedAccount": "{account} does not hold the role this needs",
    "ParticipantNotActive": "participant {account} is suspended and can do nothing until reinstated",
    "ParticipantNotRegistered": "{account} is not a registered participant of this market",
    "NotCustodian": "{account} does not hold batch {lot}",
    "NotPendingRecipient": "batch {lot} was not handed to {account}",
    "BatchNotFound": "there is no batch {batchId}",
    "BatchQuarantined": "batch {lot} failed its residue test on {failed_on}; only a regulator can release it",
    "BatchRecalled": "batch {lot} has been recalled and cannot be moved, repacked or sold",
    "BatchInTransit": "batch {lot} is on its way to {recipient}; it can be sold or repacked once accepted",
    "BatchSoldOut": "nothing is left of batch {lot}",
    "BatchAlreadyExists": "a batch with this GTIN and lot is already registered",
    "BatchNotQuarantined": "batch {lot} is not quarantined",
    "InsufficientQuantity": "batch {lot} has {remaining} left, {requested} were asked for",
    "NoPendingHandOff": "batch {lot} has no pending hand-off",
    "HandOffToSelf": "a batch cannot be handed to its own custodian",
    "MergeMismatch": "only batches of one GTIN and unit can be merged",
    "ParticipantAlreadyRegistered": "{account} is already registered",
    "ParticipantStateUnchanged": "{account} is already in that state",
    "InvalidGtin": "{gtin} is not a valid GTIN",
    "InvalidLotCode": "the lot code must have 1 to 20 characters",
    "InvalidUnitCode": "the unit must be a UN/ECE Rec 20 code such as KGM",
    "InvalidCountryCode": "the country must be an ISO 3166-1 alpha-2 code",
    "InvalidCurrencyCode": "the currency must be an ISO 4217 code",
    "InvalidDocumentCid": "the document CID is malformed",
    "MissingField": "{field} is required",
    "ZeroQuantity": "quantities must be positive",
    "QuantityTooLarge": "the quantity exceeds {max}",
    "PriceTooLarge": "the price exceeds {max}",
    "ResidueTooLarge": "residue {index} has a value over {max}",
    "DateInFuture": "the date lies in the future",
    "TooFewBatches": "{needed} or more batches are needed, {given} were given",
    "InspectionInconsistent": "a test reported as passed has residue {index} over its limit",
    "InvalidImporter": "{importer} is not an active supplier and cannot receive an import",
    "UnknownRole": "that is not a market role",
    "ParticipantDetailsMissing": "a participant needs a name and a GLN or licence number",
    "InvalidHsCode": "the HS code must have 6 to 10 digits",
    "NoticeAuthorUnauthorized": "{account} is neither an active regulator nor the market authority",
    "NoticeWindowInvalid": "a notice is shown from valid_from until valid_until, which must be later and not past",
    "DeclarationExists": "customs declaration {declarationNumber} is already recorded",
    "DeclarationOutOfOrder": (
        "customs declaration {declarationNumber} continues at line {nextLine}, not at line {firstLine}"
    ),
    "DeclarationMismatch": (
        "customs declaration {declarationNumber} was recorded with another entry port, clearance date,"
        " importer, document or line count"
    ),
    "DeclarationLineOutOfRange": (
        "customs declaration {declarationNumber} has {lineCount} lines; these would end at line {lineEnd}"
    ),
}


#: Role hashes to the words a person uses (AccessControlUnauthorizedAccount names the hash).
_ROLE_NAMES = {**{role: name.lower() for name, role in ROLE_IDS.items()}, DEFAULT_ADMIN_ROLE: "market authority"}


def describe_revert(request: Request, revert: ContractRevert) -> str:
    """The human sentence for `revert`, with batch ids turned into lot codes and dates.

    A refused item of a batch call reads "line 7: 123 is not a valid GTIN" (lines, lots and
    sales counted from 0, as the contract and the ``index`` field count them).
    """
    word = ITEM_WORDS.get(revert.name)
    if word is not None and revert.inner is not None:
        return f"{word} {revert.index}: {describe_revert(request, revert.inner)}"
    values: dict[str, Any] = plain(revert.args_by_name)
    batch_id = values.get("batchId")
    if batch_id:
        engine = request.app.state.services.engine
        try:
            batch, _ = get_batch(engine, batch_id)
            values["lot"] = f"{batch.lot} (GTIN {batch.gtin})"
        except NotFound:
            values["lot"] = batch_id
        if revert.name == "BatchQuarantined":
            failed = latest_failed_inspection_time(engine, batch_id)
            values["failed_on"] = (
                datetime.fromtimestamp(failed, UTC).date().isoformat() if failed else "an earlier date"
            )
    template = SENTENCES.get(revert.name)
    if template is None:
        return str(revert)
    try:
        sentence = template.format(**values)
    except (KeyError, IndexError):
        return str(revert)
    if revert.name == "AccessControlUnauthorizedAccount":
        sentence += f" ({_ROLE_NAMES.get(revert.args_by_name.get('neededRole'), 'an unknown role')})"
    return sentence


def _error(status_code: int, name: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": name, "message": message, **extra}, status_code=status_code)


#: Domain errors and what they answer: (status, error name; None: the exception's class name).
#: Starlette picks a handler by the exception's class hierarchy, most specific first.
_DOMAIN_ERRORS: dict[type[Exception], tuple[int, str | None]] = {
    NotFound: (status.HTTP_404_NOT_FOUND, "NotFound"),
    TransactionTimeout: (status.HTTP_504_GATEWAY_TIMEOUT, "TransactionTimeout"),
    NodeError: (status.HTTP_503_SERVICE_UNAVAILABLE, "NodeUnavailable"),
    DocumentNotFound: (status.HTTP_404_NOT_FOUND, "DocumentNotFound"),
    TransactionError: (status.HTTP_502_BAD_GATEWAY, "TransactionFailed"),
    # The store's copy no longer hashes to its CID: the server's fault, never served.
    DocumentIntegrityError: (status.HTTP_500_INTERNAL_SERVER_ERROR, "DocumentIntegrityError"),
    # The same bytes uploaded again with another media type: a document keeps its first.
    MediaTypeFixed: (status.HTTP_409_CONFLICT, "MediaTypeFixed"),
    # A file whose declaration or lots are in the write queue already: wait for those.
    FilePending: (status.HTTP_409_CONFLICT, "FilePending"),
    DocumentError: (status.HTTP_422_UNPROCESSABLE_CONTENT, None),
    LedgerError: (status.HTTP_500_INTERNAL_SERVER_ERROR, None),
}


def _handler(code: int, name: str | None) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        return _error(code, name or type(exc).__name__, str(exc))

    return handle


def revert_answer(request: Request, exc: ContractRevert) -> tuple[int, dict[str, Any]]:
    """A contract's refusal as the API answers it: the status and the body."""
    # A batch call's refusal wraps the single call's error (and the item's index): the inner
    # error decides the status, as the single call's refusal would.
    decisive = exc.inner if exc.inner is not None else exc
    code = REVERT_STATUS.get(decisive.name, status.HTTP_422_UNPROCESSABLE_CONTENT)
    args = plain(exc.args_by_name)
    body: dict[str, Any] = {"error": exc.name, "message": describe_revert(request, exc), "args": args}
    if exc.inner is not None:
        body["inner"] = {"error": exc.inner.name, "args": plain(exc.inner.args_by_name)}
    return code, body


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ContractRevert)
    async def contract_revert(request: Request, exc: ContractRevert) -> JSONResponse:
        code, body = revert_answer(request, exc)
        return JSONResponse(body, status_code=code)

    for error, (code, name) in _DOMAIN_ERRORS.items():
        app.add_exception_handler(error, _handler(code, name))
