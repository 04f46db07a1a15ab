"""The demo market's people: one workbench account per role, for trying the screens.

Their password is the demo's own, printed by ``freshledger demo`` (a development chain with
development keys; nothing here is a secret). An account already there is left as it is, so a
second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from ledger.demo.market import Cast
from ledger.store.people import create_person, person_named

DEMO_PASSWORD = "fresh-market-demo"


@dataclass(frozen=True)
class DemoPerson:
    role: str
    username: str
    display_name: str
    cast_member: str  # Cast attribute: whose person it is


DEMO_PEOPLE = (
    DemoPerson("supplier (farm)", "farm.lin", "Lin Hua", "greens_farm"),
    DemoPerson("supplier (wholesaler)", "wholesale.chen", "Chen Jie", "wholesaler"),
    DemoPerson("customs", "customs.zhou", "Zhou Min", "customs"),
    DemoPerson("lab", "lab.wu", "Wu Lei", "lab"),
    DemoPerson("vendor", "stall.wang", "Wang Li", "stall_a"),
    DemoPerson("regulator", "regulator.liu", "Liu Yang", "regulator"),
    DemoPerson("market authority", "office.he", "He Fang", "authority"),
)


def add_demo_people(engine: Engine, cast: Cast) -> list[DemoPerson]:
    """Open the demo's accounts that are not there yet; returns every demo person."""
    for person in DEMO_PEOPLE:
        if person_named(engine, person.username) is None:
            address = getattr(cast, person.cast_member).address
            create_person(engine, person.username, address, DEMO_PASSWORD, person.display_name, language="zh")
    return list(DEMO_PEOPLE)
