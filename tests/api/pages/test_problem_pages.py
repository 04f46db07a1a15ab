"""The resolver's other answers: not found (404) and unreadable code (400), in three languages."""

from __future__ import annotations

import pytest

from api.pages.shopper import render_bad_request, render_not_found
from tests.support.html import parse_html

NOT_FOUND = {"en": "Product not found", "ko": "상품을 찾을 수 없습니다", "zh": "未找到该产品"}
BAD_REQUEST = {"en": "This code cannot be read", "ko": "이 코드를 읽을 수 없습니다", "zh": "无法识别此代码"}


@pytest.mark.parametrize("lang", ["en", "ko", "zh"])
def test_not_found_page_in_each_language_echoes_the_code(lang: str) -> None:
    doc = parse_html(render_not_found(lang, "/01/06901234000016/10/GV-2611-01-A/21/99"))
    assert doc.find("h1").text() == NOT_FOUND[lang]
    assert doc.find("title").text().startswith(NOT_FOUND[lang])
    assert doc.find("dd").text() == "/01/06901234000016/10/GV-2611-01-A/21/99"
    assert [a.attrs.get("aria-current") for a in doc.find("nav").find_all("a")] == [
        "page" if lang == code else None for code in ("en", "ko", "zh")
    ]


@pytest.mark.parametrize("lang", ["en", "ko", "zh"])
def test_bad_request_page_in_each_language_shows_the_reason_as_given(lang: str) -> None:
    doc = parse_html(render_bad_request(lang, "GTIN 06901234000017: the check digit should be 6"))
    assert doc.find("h1").text() == BAD_REQUEST[lang]
    assert doc.find("dd").text() == "GTIN 06901234000017: the check digit should be 6"


def test_problem_pages_escape_what_was_scanned_and_fall_back_to_english() -> None:
    html = render_not_found("fr", "/01/<script>alert(1)</script>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert parse_html(html).find("html").attrs["lang"] == "en"
    assert parse_html(render_bad_request("zh-CN", None)).find("html").attrs["lang"] == "zh-Hans"
    assert not parse_html(render_not_found("ko")).find_all("dd")
