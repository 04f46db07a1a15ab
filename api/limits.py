"""How much of a request body the API reads, how long it waits for it, and how deep its JSON
may nest: every limit in one place (enforced by :mod:`api.bodies` before a route sees a byte).

| variable | default | what |
|---|---|---|
| FRESHLEDGER_MAX_DOCUMENT_BYTES | 52428800 (50 MiB) | ``POST /documents`` |
| FRESHLEDGER_MAX_CAPTURE_BYTES | 5242880 (5 MiB) | ``POST /epcis/capture`` |
| FRESHLEDGER_MAX_RATING_BYTES | 8192 | ``POST /sales/{id}/rating`` (no login needed) |
| FRESHLEDGER_MAX_JSON_BYTES | 1048576 (1 MiB) | every other body |
| FRESHLEDGER_BODY_TIMEOUT_S | 30 | seconds a body may take to arrive (408 after) |
| FRESHLEDGER_DOCUMENT_TIMEOUT_S | 300 | the same for a document upload |
| FRESHLEDGER_MAX_JSON_DEPTH | 64 | nesting of arrays and objects in a body |

A body over its limit is answered 413 at once when ``Content-Length`` says so, else as soon as
the bytes read pass it (the rest is never read); one slower than its timeout 408.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


@dataclass(frozen=True)
class BodyLimit:
    """The limit of one kind of request body: bytes, seconds to arrive, and whether the body
    is read whole and checked (JSON depth, UTF-8) before the route runs, or streamed to it."""

    name: str
    max_bytes: int
    timeout_s: float
    checked: bool = True
    #: The route answers problems as RFC 9457 problem details of this type (EPCIS capture).
    problem_type: str | None = None


class BodyLimits(BaseSettings):
    """The body limits, from ``FRESHLEDGER_`` variables (see the module's table)."""

    model_config = SettingsConfigDict(env_prefix="FRESHLEDGER_", extra="ignore")

    max_document_bytes: int = Field(default=50 * MIB, gt=0)
    max_capture_bytes: int = Field(default=5 * MIB, gt=0)
    max_rating_bytes: int = Field(default=8 * 1024, gt=0)
    max_json_bytes: int = Field(default=1 * MIB, gt=0)
    body_timeout_s: float = Field(default=30.0, gt=0)
    document_timeout_s: float = Field(default=300.0, gt=0)
    #: EPCIS documents nest about ten deep; nothing the API takes needs more. Python's JSON
    #: parser recurses per level, and the process's recursion limit is raised for py_ecc, so
    #: an unbounded depth would overflow the C stack and kill the server.
    max_json_depth: int = Field(default=64, gt=0, le=1000)

    def for_request(self, method: str, path: str) -> BodyLimit:
        """The limit of a request's body, by its route (the path before routing: exact
        matches only, so no spelling of a path reaches a larger limit than its route has)."""
        if method == "POST" and path == "/documents":
            return BodyLimit("document", self.max_document_bytes, self.document_timeout_s, checked=False)
        if method == "POST" and path == "/epcis/capture":
            return BodyLimit(
                "EPCIS capture",
                self.max_capture_bytes,
                self.body_timeout_s,
                problem_type="epcisException:CaptureLimitExceededException",
            )
        if method == "POST" and path.startswith("/sales/") and path.endswith("/rating") and path.count("/") == 3:
            return BodyLimit("rating", self.max_rating_bytes, self.body_timeout_s)
        return BodyLimit("request", self.max_json_bytes, self.body_timeout_s)
