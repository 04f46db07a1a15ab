"""``freshledger demo`` opens one workbench account per role and prints their sign-ins."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from api.demo import _print_people
from api.settings import ApiSettings
from ledger.demo import market
from ledger.demo.people import DEMO_PASSWORD, add_demo_people
from ledger.store.db import make_engine, migrate
from ledger.store.people import authenticate, people_of


def test_demo_people_one_per_role_once_and_printed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    migrate(engine)
    cast = market.cast()
    people = add_demo_people(engine, cast)
    assert len(people_of(engine)) == 7
    assert add_demo_people(engine, cast) == people and len(people_of(engine)) == 7  # a second run adds none
    roles = {p.role for p in people}
    assert {"customs", "lab", "vendor", "regulator", "market authority"} <= roles
    signed = authenticate(engine, "lab.wu", DEMO_PASSWORD)
    assert signed is not None and signed.participant == cast.lab.address
    console = Console(record=True, width=200)
    _print_people(console, ApiSettings(data_dir=tmp_path, public_host="127.0.0.1:8000"), people)
    printed = console.export_text()
    assert "Workbench (phone or desk): http://127.0.0.1:8000/workbench" in printed
    assert f"regulator: regulator.liu / {DEMO_PASSWORD}" in printed
