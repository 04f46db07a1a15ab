"""Language negotiation and the message catalog."""

from __future__ import annotations

import string

import pytest

from api.pages.i18n import LANGUAGES, Messages, negotiate, parse_accept_language
from api.pages.messages import CATALOG


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
        ("zh-CN,zh;q=0.9", "zh"),
        ("zh-Hant-TW", "zh"),  # the only Chinese we have reads better than English
        ("en-GB", "en"),
        ("fr-CH, fr;q=0.9, ko;q=0.8, en;q=0.5", "ko"),  # the first language we have, by q-value
        ("en;q=0.3, zh;q=0.8, ko;q=0.5", "zh"),  # q-values, not header order
        ("ko;q=0, en;q=0.1", "en"),  # q=0 means "not this one"
        ("ko;q=0.5, zh;q=0.5", "ko"),  # equal q: header order
        ("ZH_cn", "zh"),
        ("*", "en"),
        ("de, fr", "en"),
        ("ko;q=abc, zh;q=2, en;q=0.4", "en"),  # malformed q-values are skipped
        ("", "en"),
        (None, "en"),
    ],
)
def test_negotiate_picks_the_best_accept_language(header: str | None, expected: str) -> None:
    assert negotiate(header, None) == expected


def test_negotiate_prefers_the_query_then_the_cookie() -> None:
    assert negotiate("ko", "zh") == "zh"
    assert negotiate("ko", "zh-CN", cookie_lang="en") == "zh"
    assert negotiate("ko", None, cookie_lang="en") == "en"
    assert negotiate("ko", "xx", cookie_lang="yy") == "ko"  # unknown choices fall through


def test_parse_accept_language_orders_by_q_then_position() -> None:
    assert parse_accept_language("en;q=0.5, ko, zh;q=0.8 ,  , fr;q=0") == [("ko", 1.0), ("zh", 0.8), ("en", 0.5)]


def test_parse_accept_language_bounds_a_huge_header() -> None:
    header = ",".join(["de"] * 10_000) + ",ko"
    assert negotiate(header, None) == "en"  # cut at 1 KiB: the late "ko" is not read


def test_every_language_has_every_message_with_the_same_placeholders() -> None:
    def placeholders(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    english = CATALOG["en"]
    for lang in LANGUAGES:
        assert CATALOG[lang].keys() == english.keys(), lang
        for key, text in CATALOG[lang].items():
            assert placeholders(text) == placeholders(english[key]), (lang, key)
            assert text.strip(), (lang, key)


def test_translations_are_real() -> None:
    assert [Messages(lang)("origin_heading") for lang in LANGUAGES] == ["Origin", "원산지", "产地"]
    assert [Messages(lang)("lab_heading") for lang in LANGUAGES] == ["Lab tests", "검사 결과", "检测结果"]
    for key in CATALOG["en"]:
        if key not in {"brand", "gtin", "coordinates", "svg_desc_node", "unit_KGM", "unit_GRM", "unit_LTR"}:
            assert CATALOG["zh"][key] != CATALOG["en"][key], key
            assert CATALOG["ko"][key] != CATALOG["en"][key], key


def test_messages_refuse_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="no messages for language 'fr'"):
        Messages("fr")
