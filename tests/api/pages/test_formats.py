"""Values as each language writes them: dates, prices from minor units, places, countries."""

from __future__ import annotations

import random
from datetime import UTC, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from api.pages.formats import Formatter, Place
from api.pages.i18n import Messages

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOMENT = 1_795_648_461  # 2026-11-25 23:14:21 UTC, 2026-11-26 07:14 in Shanghai


def fmt(lang: str, tz: timezone | ZoneInfo = SHANGHAI) -> Formatter:
    return Formatter(lang, Messages(lang), tz)


@pytest.mark.parametrize(
    ("lang", "day", "moment"),
    [
        ("en", "Nov 26, 2026", "Nov 26, 2026 07:14"),
        ("ko", "2026년 11월 26일", "2026년 11월 26일 07:14"),
        ("zh", "2026年11月26日", "2026年11月26日 07:14"),
    ],
)
def test_dates_are_written_per_locale_in_the_page_time_zone(lang: str, day: str, moment: str) -> None:
    assert fmt(lang).date(MOMENT) == day
    assert fmt(lang).datetime(MOMENT) == moment
    assert fmt(lang).iso(MOMENT) == "2026-11-26T07:14:21+08:00"


def test_time_zone_names() -> None:
    assert fmt("en").zone(MOMENT) == "China Standard Time (UTC+08:00)"
    assert fmt("zh").zone(MOMENT) == "中国标准时间 (UTC+08:00)"
    assert fmt("en", UTC).zone(MOMENT) == "UTC"
    assert fmt("en", timezone(timedelta(hours=9))).zone(MOMENT) == "UTC+09:00"


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (1200, "CNY", "CNY 12.00"),
        (5, "CNY", "CNY 0.05"),
        (123456789, "CNY", "CNY 1,234,567.89"),
        (13600, "KRW", "KRW 13,600"),  # no minor unit
        (1500, "JPY", "JPY 1,500"),
        (12345, "BHD", "BHD 12.345"),  # three decimals
    ],
)
def test_money_from_minor_units_uses_the_currency_decimals(minor: int, currency: str, shown: str) -> None:
    assert fmt("en").money(minor, currency) == shown


def test_quantities_units_and_residues() -> None:
    assert fmt("en").quantity(1200, "KGM") == "1,200 kg"
    assert fmt("zh").quantity(2, "KGM") == "2 千克"
    assert fmt("ko").quantity(3, "H87") == "3 개"
    assert fmt("en").quantity(3, "XYZ") == "3 XYZ"  # an unknown unit code as recorded
    assert fmt("en").residue(37, "ug/kg") == "37 μg/kg"


def test_countries_by_name_in_each_language() -> None:
    assert [fmt(lang).country("TH") for lang in ("en", "ko", "zh")] == ["Thailand (TH)", "태국 (TH)", "泰国 (TH)"]
    assert fmt("en").country("XX") == "XX"


def test_places_geo_gln_and_text() -> None:
    nbsp = "\u00a0"  # a coordinate never breaks across lines
    assert fmt("en").place("geo:30.2336,119.7248") == Place(
        f"30.2336°{nbsp}N, 119.7248°{nbsp}E", "geo:30.2336,119.7248"
    )
    assert fmt("zh").place("geo:-33.9,-70.6;u=35") == Place(f"南纬{nbsp}33.9°，西经{nbsp}70.6°", "geo:-33.9,-70.6")  # noqa: RUF001
    assert fmt("ko").place("6901234000023") == Place("위치 코드(GLN) 6901234000023")
    assert fmt("en").place("Field 3, Lin'an") == Place("Field 3, Lin'an")
    assert fmt("en").place("geo:javascript:alert(1)") == Place("geo:javascript:alert(1)")  # not a link


@pytest.mark.parametrize("lang", ["en", "zh", "ko"])
def test_number_fast_path_writes_what_babel_writes(lang: str) -> None:
    from babel.numbers import format_decimal

    fmt = Formatter(lang, Messages(lang))
    rng = random.Random(lang)
    for _ in range(2000):
        value = rng.choice(
            [rng.randint(-(10**12), 10**12), Decimal(rng.randint(-(10**9), 10**9)).scaleb(-rng.randint(0, 3))]
        )
        decimals = rng.randint(0, 3)
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        assert fmt.number(value, decimals) == format_decimal(value, format=pattern, locale=fmt.locale)
