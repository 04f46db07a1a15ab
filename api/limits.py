"""Every limit on what one request may carry, in one place.

How many items one request may carry: every list a write takes is capped here, and a
request over a cap is refused with 422 (naming the field and the cap) before any
transaction is built.

The caps keep one transaction well inside the share of a block a participant may take
(half of the 30M block gas limit, as lot recalls are chunked: ``ledger.recall.onchain``).
From the gas figures in BENCHMARKS.md: a split costs about 29k gas a part, so 200 parts is
about 6M; a merge about 15k a parent, so 200 parents is about 3M; a recall about 9.5k a
batch, so 500 batches is about 5M (a lot recall larger than that is chunked by
``POST /recalls/lots``, which takes one lot, not a list). An inspection records a few
residues, rarely more than a multi-residue screen's hundred. A product has a name in each
language at most (ISO 639-1 has 184 two-letter codes).

How much of a request body the API reads, how long it waits for it, and how deep its JSON
may nest: every limit in one place (enforced by :mod:`api.bodies` before a route sees a byte).

| variable | default | what |
|---|---|---|
| FRESHLEDGER_MAX_DOCUMENT_BYTES | 52428800 (50 MiB) | ``POST /documents`` |
| FRESHLEDGER_MAX_CAPTURE_BYTES | 5242880 (5 MiB) | ``POST /epcis/capture`` |
| FRESHLEDGER_MAX_RATING_BYTES | 8192 | ``POST /sales/{id}/rating`` (no login needed) |
| (fixed) | 65536 | ``POST /notices`` (a title and a body in three languages) |
| (fixed) | 8388608 (8 MiB) | ``POST /customs/declarations``, ``POST /harvests/bulk`` (``ledger.intake``) |
| (fixed) | 11534336 (11 MiB) | the workbench's forms with a photo or a report (a 10 MiB file) |
| (fixed) | 262144 (256 KiB) | the floor plan's JSON in the workbench's form (the form itself: 1 MiB) |
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

from ledger.intake.columns import MAX_FILE_BYTES

MAX_SPLIT_PARTS = 200
MAX_MERGE_PARENTS = 200
MAX_RECALL_BATCHES = 500
MAX_RESIDUES = 100
MAX_PRODUCT_NAMES = 184

MIB = 1024 * 1024
#: A notice's title (120) and body (2000 characters) in three languages, as UTF-8 JSON with
#: room for escapes: well under 64 KiB.
MAX_NOTICE_BYTES = 64 * 1024
#: A floor plan typed into the workbench's form, in UTF-8 bytes: a hall of a few hundred
#: places takes some 40 KiB pretty-printed. Sent URL-encoded, its brackets and quotes take
#: three bytes each, so the form stays under the 1 MiB every form body is held to.
MAX_LAYOUT_BYTES = 256 * 1024
#: Declaration files and harvest sheets: CSV, XLSX (binary) or JSON, streamed to the route,
#: which reads them with the same cap and its own depth check (ledger.intake).
FILE_ROUTES = frozenset({"/customs/declarations", "/harvests/bulk"})
#: The workbench's forms that carry a photo or a PDF (multipart): a 10 MiB file and the fields.
WORKBENCH_UPLOAD_BYTES = 11 * MIB


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
        if method == "POST" and path in FILE_ROUTES:
            return BodyLimit("declaration file", MAX_FILE_BYTES, self.body_timeout_s, checked=False)
        if method == "POST" and _workbench_upload(path):
            return BodyLimit("workbench upload", WORKBENCH_UPLOAD_BYTES, self.document_timeout_s, checked=False)
        if method == "POST" and path == "/notices":
            return BodyLimit("notice", MAX_NOTICE_BYTES, self.body_timeout_s)
        if method == "POST" and path.startswith("/sales/") and path.endswith("/rating") and path.count("/") == 3:
            return BodyLimit("rating", self.max_rating_bytes, self.body_timeout_s)
        return BodyLimit("request", self.max_json_bytes, self.body_timeout_s)


def _workbench_upload(path: str) -> bool:
    """``/workbench/supplier/harvest``, ``/workbench/supplier/sheet``,
    ``/workbench/customs/declarations`` and ``/workbench/lab/lots/{batch_id}/test``."""
    if path in ("/workbench/supplier/harvest", "/workbench/supplier/sheet", "/workbench/customs/declarations"):
        return True
    parts = path.split("/")
    return len(parts) == 6 and parts[1:4] == ["workbench", "lab", "lots"] and parts[5] == "test"
