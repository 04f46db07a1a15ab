"""The demo market: a Hangzhou fresh market recorded on the local chain (``freshledger demo``).

- :mod:`ledger.demo.market`: who and what (participants, products, lots, tests, sales, recall);
- :mod:`ledger.demo.papers`: the generated documents (harvest photos, declaration, lab reports);
- :mod:`ledger.demo.scenario`: recording it through the write path, idempotently;
- :mod:`ledger.demo.run`: the command's steps (chain, deploy, record, index) with progress.
"""

from ledger.demo.market import (
    DURIAN_GTIN,
    GREENS_GTIN,
    HOUR,
    PARTICIPANTS,
    STRAWBERRY_GTIN,
    Cast,
    cast,
)
from ledger.demo.scenario import (
    BatchRow,
    PartialMarket,
    Step,
    already_recorded,
    batch_overview,
    lot_id,
    market_state,
    record_scenario,
    scenario_size,
)

__all__ = [
    "DURIAN_GTIN",
    "GREENS_GTIN",
    "HOUR",
    "PARTICIPANTS",
    "STRAWBERRY_GTIN",
    "BatchRow",
    "Cast",
    "PartialMarket",
    "Step",
    "already_recorded",
    "batch_overview",
    "cast",
    "lot_id",
    "market_state",
    "record_scenario",
    "scenario_size",
]
