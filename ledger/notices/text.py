"""A notice's text: a title and a body in up to three languages (Korean, Chinese, English),
stored as a small JSON document whose CID the ``NoticePublished`` event carries."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.errors import LedgerError

#: The languages a notice may be written in (those of the market's screens).
NOTICE_LANGUAGES = ("ko", "zh", "en")
#: Longest title and body, in characters: a title fits a screen's line, a body a panel.
MAX_TITLE = 120
MAX_BODY = 2000
#: Media type the text is stored as.
MEDIA_TYPE = "application/json"


class NoticeInvalid(LedgerError):
    """A notice's text is missing, too long, or in a language the market does not show."""


def _clean(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise NoticeInvalid(f"the {what} must be text")
    # Control characters but line breaks go (a body keeps its paragraphs).
    text = "".join(c for c in value if c == "\n" or unicodedata.category(c)[0] != "C").strip()
    if not text:
        raise NoticeInvalid(f"the {what} is empty")
    if len(text) > limit:
        raise NoticeInvalid(f"the {what} is longer than {limit} characters")
    return text


def _by_language(values: Any, what: str, limit: int) -> dict[str, str]:
    if not isinstance(values, Mapping) or not values:
        raise NoticeInvalid(f"the {what} needs at least one language of {', '.join(NOTICE_LANGUAGES)}")
    unknown = sorted(set(values) - set(NOTICE_LANGUAGES))
    if unknown:
        raise NoticeInvalid(f"the {what} has languages the market does not show: {', '.join(map(str, unknown))}")
    return {lang: _clean(values[lang], f"{what} ({lang})", limit) for lang in NOTICE_LANGUAGES if lang in values}


@dataclass(frozen=True)
class NoticeText:
    """Title and body by language code; every language with a title has a body too."""

    title: dict[str, str]
    body: dict[str, str]

    @classmethod
    def build(cls, title: Mapping[str, Any], body: Mapping[str, Any]) -> NoticeText:
        """The text of `title` and `body` checked; :class:`NoticeInvalid` otherwise."""
        titles = _by_language(title, "title", MAX_TITLE)
        bodies = _by_language(body, "body", MAX_BODY)
        if set(titles) != set(bodies):
            raise NoticeInvalid("give the title and the body in the same languages")
        return cls(titles, bodies)

    @classmethod
    def parse(cls, document: bytes) -> NoticeText:
        """A stored notice document; :class:`NoticeInvalid` for anything else."""
        try:
            data = json.loads(document)
        except (ValueError, UnicodeDecodeError):
            raise NoticeInvalid("a notice document is JSON") from None
        if not isinstance(data, dict):
            raise NoticeInvalid("a notice document is a JSON object")
        return cls.build(data.get("title"), data.get("body"))

    def document(self) -> bytes:
        """The canonical JSON bytes (sorted keys: the same text always has the same CID)."""
        return json.dumps({"title": self.title, "body": self.body}, ensure_ascii=False, sort_keys=True).encode()

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or next(iter(self.title.values()))

    def body_in(self, lang: str) -> str:
        return self.body.get(lang) or next(iter(self.body.values()))
