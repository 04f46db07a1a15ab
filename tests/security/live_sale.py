"""A real sale on the API market and its QR scan: after every attack in this package the
server must still answer the resolver route of a sale (what shoppers' phones hit)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from tests.api.conftest import Market
from tests.factories.api_writes import deliver, harvest


@dataclass(frozen=True)
class Scan:
    """A recorded sale; calling it checks that its Digital Link still resolves."""

    market: Market
    batch_id: str
    sale_id: str
    path: str

    def __call__(self) -> None:
        answer = self.market.client.get(self.path, headers={"Accept": "application/json"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["sale"]["sale_id"] == self.sale_id


@pytest.fixture(scope="module")
def scan(api_market: Market, cast: dict[str, tuple[str, str]]) -> Scan:
    """Record a harvest, deliver it to the stall and sell from it; return a check that the
    sale's Digital Link still resolves to its chain of custody."""
    m = api_market
    batch_id = harvest(m, cast["farm"][1], quantity=20)
    deliver(m, batch_id, cast["farm"], cast["vendor"])
    m.sync()  # the sale's Digital Link needs the lot, which the indexer knows
    sold = m.client.post(
        "/sales", json={"batch_id": batch_id, "quantity": 1, "price": 500}, headers=m.auth(cast["vendor"][1])
    )
    assert sold.status_code == 201, sold.text
    m.sync()
    check = Scan(m, batch_id, sold.json()["sale_id"], urlsplit(sold.json()["qr_url"]).path)
    check()
    return check
