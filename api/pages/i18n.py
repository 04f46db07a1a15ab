"""Languages of the shopper's pages: choosing one, and its messages.

The choice, strongest first: ``?lang=`` on the URL (the page's language links), then a cookie
the route may keep, then the ``Accept-Language`` header by q-value, then English. Any Chinese
tag (``zh``, ``zh-CN``, ``zh-Hant-TW``) gets the simplified Chinese page: it is the only
Chinese we have, and it reads better than English for most Chinese readers.

Example::

    >>> negotiate("fr-CH, fr;q=0.9, ko;q=0.8, en;q=0.5", None)
    'ko'
    >>> negotiate("ko", "zh-CN")
    'zh'
    >>> Messages("zh")("lot_heading", lot="GV-2611-01-A")
    '批次 GV-2611-01-A'
"""

from __future__ import annotations

from api.pages.messages import CATALOG

LANGUAGES = ("en", "ko", "zh")
DEFAULT_LANGUAGE = "en"
#: The cookie a route may set from ``?lang=`` so that the choice sticks (optional).
LANG_COOKIE = "lang"
#: Each language's name in itself, for the switch links.
NATIVE_NAMES = {"en": "English", "ko": "한국어", "zh": "中文"}
#: BCP 47 tags for ``<html lang>``: ``zh-Hans`` says simplified script, which picks CJK glyphs.
HTML_LANG = {"en": "en", "ko": "ko", "zh": "zh-Hans"}
#: Babel (CLDR) locales for dates, numbers and country names.
BABEL_LOCALE = {"en": "en", "ko": "ko", "zh": "zh_Hans_CN"}
#: Headers longer than this are cut before parsing (a header is not a place to spend CPU).
MAX_HEADER = 1024


def supported(tag: str | None) -> str | None:
    """The language of ours that `tag` (``ko-KR``, ``ZH_cn``, ``en``) asks for, or None."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def parse_accept_language(header: str | None) -> list[tuple[str, float]]:
    """``(tag, q)`` pairs of an Accept-Language header, best first; malformed items are skipped."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "")[:MAX_HEADER].split(",")):
        tag, *params = (part.strip() for part in item.split(";"))
        if not tag:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = -1.0
        if 0.0 < q <= 1.0:
            ranked.append((-q, position, tag))
    return [(tag, -q) for q, _, tag in sorted(ranked)]


def negotiate(accept_language: str | None, query_lang: str | None, cookie_lang: str | None = None) -> str:
    """The page language: ``?lang=``, else the cookie, else the best Accept-Language match."""
    for chosen in (query_lang, cookie_lang):
        if (found := supported(chosen)) is not None:
            return found
    for tag, _ in parse_accept_language(accept_language):
        if tag == "*":
            return DEFAULT_LANGUAGE
        if (found := supported(tag)) is not None:
            return found
    return DEFAULT_LANGUAGE


class Messages:
    """One language's messages: ``t("key", name=value)``."""

    def __init__(self, lang: str) -> None:
        if lang not in CATALOG:
            raise ValueError(f"no messages for language {lang!r} (have {', '.join(LANGUAGES)})")
        self.lang = lang
        self.html_lang = HTML_LANG[lang]
        self._messages = CATALOG[lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self._messages[key]
        return text.format(**values) if values else text

    def get(self, key: str) -> str | None:
        """The message `key`, or None when there is none (unit codes, statuses we do not know)."""
        return self._messages.get(key)
