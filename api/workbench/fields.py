"""Reading a workbench form's fields into checked values, with an error message per field in
the person's language (the pages show each beside its field)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo

from starlette.datastructures import FormData, UploadFile

from api.workbench.messages import WorkbenchMessages
from api.workbench.render import FormState
from ledger.fields import CSET82

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
_LOT = re.compile(CSET82)
_GEO = re.compile(r"^\s*(-?\d{1,2}(?:\.\d{1,7})?)\s*,\s*(-?\d{1,3}(?:\.\d{1,7})?)\s*$")
_GLN = re.compile(r"^\d{13}$")


class Reader:
    """Reads `form` into `state`: each method returns the value, or None after noting the error."""

    def __init__(self, form: FormData, t: WorkbenchMessages) -> None:
        self.form = form
        self.t = t
        self.state = FormState(values={k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"})

    def fail(self, name: str, key: str) -> None:
        self.state.errors.setdefault(name, self.t(key))

    def text(self, name: str, *, max_length: int = 200, required: bool = True) -> str | None:
        value = self.state.values.get(name, "").strip()
        if not value:
            if required:
                self.fail(name, "error_required")
            return None
        if len(value) > max_length or any(ord(c) < 32 for c in value):
            self.fail(name, "error_reason" if name == "reason" else "error_required")
            return None
        return value

    def whole(self, name: str, *, minimum: int = 1, required: bool = True) -> int | None:
        value = self.state.values.get(name, "").strip()
        if not value and not required:
            return None
        if not value.isdigit() or int(value) < minimum or int(value) >= 2**63:
            self.fail(name, "error_number" if minimum >= 1 else "error_number_zero")
            return None
        return int(value)

    def choice(self, name: str, options: dict[str, str] | list[str]) -> str | None:
        value = self.state.values.get(name, "")
        if value not in options:
            self.fail(name, "error_choice")
            return None
        return value

    def lot(self, name: str = "lot") -> str | None:
        value = self.state.values.get(name, "").strip().upper()
        if not value:
            self.fail(name, "error_required")
            return None
        if not _LOT.match(value):
            self.fail(name, "error_lot")
            return None
        return value

    def past_date(self, name: str, tz: tzinfo = UTC) -> int | None:
        """A day on or before today in `tz` (the market's), as the Unix time of its start
        there: today's start has passed, so the contract takes it as a past time."""
        value = self.state.values.get(name, "").strip()
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.fail(name, "error_date")
            return None
        if day > datetime.now(tz).date():
            self.fail(name, "error_future_date")
            return None
        return int(datetime.combine(day, time(0), tz).timestamp())

    def place(self, name: str = "place") -> str | None:
        """``geo:lat,lon`` from "lat,lon", or a 13-digit GLN."""
        value = self.state.values.get(name, "").strip()
        geo = _GEO.match(value)
        if geo and abs(float(geo[1])) <= 90 and abs(float(geo[2])) <= 180:
            return f"geo:{geo[1]},{geo[2]}"
        if _GLN.match(value):
            return value
        self.fail(name, "error_place" if value else "error_required")
        return None

    async def upload(self, name: str, types: set[str], type_error: str) -> tuple[bytes, str] | None:
        """A file field's bytes and media type; None when no file was chosen (or after an error)."""
        part = self.form.get(name)
        if not isinstance(part, UploadFile) or not part.filename:
            return None
        media_type = (part.content_type or "").split(";")[0].strip().lower()
        if media_type not in types:
            self.fail(name, type_error)
            return None
        data = await part.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            self.fail(name, "error_file_size")
            return None
        if not data:
            return None
        return data, media_type
