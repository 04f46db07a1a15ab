"""The media types a document may have, and how a stored document is served."""

from __future__ import annotations

import pytest

from ledger.documents.media import DOCUMENT_MEDIA_TYPES, MediaTypeNotAllowed, allowed_media_type, served_as


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Application/PDF", "application/pdf"),
        ("image/jpeg", "image/jpeg"),
        ("text/plain; charset=UTF-8", "text/plain; charset=utf-8"),
        ('application/json; charset="utf-8"', "application/json; charset=utf-8"),
    ],
)
def test_allowed_media_type_normalises(given: str, kept: str) -> None:
    assert allowed_media_type(given) == kept


@pytest.mark.parametrize(
    "refused",
    [
        "text/html",
        "text/html; charset=utf-8",
        "image/svg+xml",
        "application/xhtml+xml",
        "application/xml",
        "text/xml",
        "application/javascript",
        "text/javascript",
        "application/octet-stream",
        "multipart/form-data",
        "text/plain; charset=utf-7",
        "image/png; charset=utf-8",
        "text/plain; charset=utf-8; boundary=x",
    ],
)
def test_allowed_media_type_refuses_what_a_browser_would_run(refused: str) -> None:
    with pytest.raises(MediaTypeNotAllowed) as error:
        allowed_media_type(refused)
    assert "application/pdf" in str(error.value) or "charset" in str(error.value)


def test_served_as_shows_only_images_and_pdf_in_place() -> None:
    inline = {t for t in DOCUMENT_MEDIA_TYPES if served_as(t).inline}
    assert inline == {t for t in DOCUMENT_MEDIA_TYPES if t.startswith("image/") or t == "application/pdf"}
    assert served_as("text/plain; charset=utf-8").media_type == "text/plain; charset=utf-8"


@pytest.mark.parametrize("legacy", ["text/html", "image/svg+xml", "application/xml", "nonsense"])
def test_served_as_turns_a_legacy_type_into_a_download(legacy: str) -> None:
    served = served_as(legacy)
    assert (served.media_type, served.inline, served.extension) == ("application/octet-stream", False, ".bin")
