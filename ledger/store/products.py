"""The market's product catalog: trade item master data by GTIN, kept in the API's database.

The chain records GTINs, not product names; a real market keeps its products' master data
(GS1 "trade item master data") beside it. The catalog holds one name per GTIN and, optionally,
the name in other languages; a reader asks for a language and gets that name, else the
default one. Not on-chain, so not undone by reorgs; setting a GTIN again replaces its entry.

Example::

    set_product(engine, "06901234000016", "Leafy greens", {"zh": "青菜", "ko": "청경채"})
    product_names(engine, "zh")  # {"06901234000016": "青菜"}
    product_name(engine, "06901234000016", "de")  # "Leafy greens" (no German name)
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from ledger.errors import LedgerError
from ledger.gs1 import normalize_gtin
from ledger.store import models
from ledger.store.change_marks import mark_changed, product_key

_PRODUCTS = models.Product.__table__

#: Longest product name, in characters: a shelf label's line, with room for a variety.
MAX_NAME = 120
#: A language code (BCP 47, lower case): "zh", "ko", "en", or with a region, "zh-hk".
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


class InvalidProduct(LedgerError):
    """The GTIN, a name or a language code cannot go into the catalog."""


@dataclass(frozen=True)
class ProductRecord:
    """One catalog entry: the GTIN (14 digits), its default name and names by language."""

    gtin: str
    name: str
    names: dict[str, str] = field(default_factory=dict)
    updated_at: int = 0

    def name_in(self, lang: str | None) -> str:
        """The name in language `lang` (exact, then its primary language), else the default."""
        return _pick(self.name, self.names, lang)


def clean_name(name: str, what: str = "name") -> str:
    """`name` with whitespace collapsed and control characters removed; InvalidProduct when
    empty or longer than :data:`MAX_NAME`."""
    if not isinstance(name, str):
        raise InvalidProduct(f"the product {what} must be text, got {type(name).__name__}")
    text = " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in name).split())
    if not text:
        raise InvalidProduct(f"the product {what} must not be empty")
    if len(text) > MAX_NAME:
        raise InvalidProduct(f"the product {what} may have at most {MAX_NAME} characters, this one has {len(text)}")
    return text


def clean_names(names: Mapping[str, str] | None) -> dict[str, str]:
    """`names` with language codes lower-cased and checked, and each name cleaned."""
    found: dict[str, str] = {}
    for lang, name in (names or {}).items():
        code = str(lang).strip().lower().replace("_", "-")
        if not _LANGUAGE.match(code):
            raise InvalidProduct(f"{lang!r} is not a language code such as 'en', 'zh' or 'ko'")
        found[code] = clean_name(name, f"name in {code!r}")
    return found


def checked_gtin(gtin: str) -> str:
    """`gtin` as the 14 digits the index stores; InvalidProduct for a bad GTIN or check digit."""
    try:
        return normalize_gtin(gtin)
    except ValueError as exc:
        raise InvalidProduct(str(exc)) from None


def set_product(
    engine: Engine, gtin: str, name: str, names: Mapping[str, str] | None = None, *, now: int | None = None
) -> ProductRecord:
    """Put GTIN `gtin` in the catalog as `name` (with `names` by language), replacing any
    entry it had. Raises :class:`InvalidProduct` for a bad GTIN, an empty or overlong name,
    or a malformed language code."""
    record = ProductRecord(
        checked_gtin(gtin), clean_name(name), clean_names(names), int(time.time()) if now is None else now
    )
    values = {"gtin": record.gtin, "name": record.name, "names": record.names or None, "updated_at": record.updated_at}
    # One statement either way (INSERT ... ON CONFLICT DO UPDATE): two racing requests for one
    # GTIN leave the later one's entry, never a duplicate-key error.
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_PRODUCTS).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[_PRODUCTS.c.gtin],
        set_={
            "name": statement.excluded.name,
            "names": statement.excluded.names,
            "updated_at": statement.excluded.updated_at,
        },
    )
    with engine.begin() as conn:
        conn.execute(statement)
        mark_changed(conn, [product_key(record.gtin)], record.updated_at)  # scans show the names
    return record


def list_products(engine: Engine) -> list[ProductRecord]:
    """Every catalog entry, by GTIN."""
    with engine.connect() as conn:
        return [_record(row) for row in conn.execute(select(_PRODUCTS).order_by(_PRODUCTS.c.gtin)).mappings()]


def product_names(engine: Engine, lang: str | None = None) -> dict[str, str]:
    """Each catalogued GTIN's name in language `lang` (falling back to its default name)."""
    with engine.connect() as conn:
        rows = conn.execute(select(_PRODUCTS.c.gtin, _PRODUCTS.c.name, _PRODUCTS.c.names))
        return {gtin: _pick(name, names or {}, lang) for gtin, name, names in rows}


def product_name(engine: Engine, gtin: str, lang: str | None = None) -> str | None:
    """GTIN `gtin`'s name in language `lang` (else its default name), or None if uncatalogued.
    One primary-key lookup: the shopper's page asks on every scan."""
    query = select(_PRODUCTS.c.name, _PRODUCTS.c.names).where(_PRODUCTS.c.gtin == gtin)
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return _pick(row.name, row.names or {}, lang) if row else None


def _pick(name: str, names: Mapping[str, str], lang: str | None) -> str:
    if not lang:
        return name
    code = lang.lower().replace("_", "-")
    return names.get(code) or names.get(code.split("-")[0]) or name


def _record(row: Mapping[str, object]) -> ProductRecord:
    return ProductRecord(
        gtin=str(row["gtin"]),
        name=str(row["name"]),
        names=dict(row["names"] or {}),  # type: ignore[call-overload]
        updated_at=int(row["updated_at"]),  # type: ignore[call-overload]
    )
