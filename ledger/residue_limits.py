"""Maximum residue limits the lab's test form starts from, in µg/kg, by commodity group.

Source: China's national food safety standards GB 2763-2021 (maximum residue limits of
pesticides in food, 食品安全国家标准 食品中农药最大残留限量) for the pesticides and GB 2762-2022
(contaminants in food, 食品中污染物限量) for lead and cadmium; the values are those the demo
market's lab uses (:data:`ledger.demo.market.INSPECTIONS`), converted from mg/kg. They only
prefill the form: the technician checks them against the current standard and may change
them, and the limit recorded on-chain is the one the form sends.

Example::

    >>> limits_for("06901234000016")[0]
    ResidueLimit(substance='chlorpyrifos', limit=50, unit='ug/kg', source='GB 2763-2021')
"""

from __future__ import annotations

from dataclasses import dataclass

GB_2763 = "GB 2763-2021"
GB_2762 = "GB 2762-2022"


@dataclass(frozen=True)
class ResidueLimit:
    substance: str
    limit: int
    unit: str = "ug/kg"
    source: str = GB_2763


#: Commodity group -> the limits a test of it starts from (the demo's substances).
LIMITS: dict[str, tuple[ResidueLimit, ...]] = {
    "leafy vegetables": (
        ResidueLimit("chlorpyrifos", 50),
        ResidueLimit("omethoate", 20),
        ResidueLimit("carbofuran", 20),
        ResidueLimit("lead (Pb)", 300, source=GB_2762),
        ResidueLimit("cadmium (Cd)", 200, source=GB_2762),
    ),
    "vegetables": (
        ResidueLimit("omethoate", 20),
        ResidueLimit("carbofuran", 20),
        ResidueLimit("lead (Pb)", 100, source=GB_2762),
        ResidueLimit("cadmium (Cd)", 50, source=GB_2762),
    ),
    "berries": (
        ResidueLimit("procymidone", 10),
        ResidueLimit("carbofuran", 20),
        ResidueLimit("lead (Pb)", 200, source=GB_2762),
    ),
    "tropical fruit": (
        ResidueLimit("carbofuran", 20),
        ResidueLimit("lead (Pb)", 100, source=GB_2762),
        ResidueLimit("cadmium (Cd)", 50, source=GB_2762),
    ),
}

#: The demo's GTINs and their commodity group (other products: "vegetables").
COMMODITY_OF: dict[str, str] = {
    "06901234000016": "leafy vegetables",  # green vegetables (青菜)
    "06901234000030": "leafy vegetables",  # spinach
    "06901234000047": "vegetables",  # fresh sweet corn
    "06901234000023": "berries",  # strawberries
    "08850000000010": "tropical fruit",  # durian
    "08850000000027": "tropical fruit",  # mangosteen
    "08850000000034": "tropical fruit",  # longan
}
DEFAULT_COMMODITY = "vegetables"


def commodity_of(gtin: str) -> str:
    return COMMODITY_OF.get(gtin, DEFAULT_COMMODITY)


def limits_for(gtin: str) -> tuple[ResidueLimit, ...]:
    """The limits a test of product `gtin` starts from."""
    return LIMITS[commodity_of(gtin)]
