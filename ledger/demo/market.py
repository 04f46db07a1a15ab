"""Who and what the demo market is: a Hangzhou fresh market in data.

Two Zhejiang farms (leafy greens, spinach and sweet corn from Lin'an; strawberries from
Jiande), a Thai fruit declaration cleared by Ningbo customs (durian, mangosteen and longan;
the durian goes on to the market), a West Lake wholesaler that repacks for three stalls, the
market's on-site lab (pesticides and heavy metals) and the city's market supervision bureau.
Names, licences, prices and residue limits are realistic; the people and firms are invented.
GTINs use the GS1 China prefix 690 (the Thai fruit the Thai prefix 885) with correct check
digits. The keys are the local chain's public development keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from ledger.chain.accounts import dev_account
from ledger.gs1 import make_gtin
from ledger.vocabulary import Residue

HOUR = 3600

GREENS_GTIN = make_gtin("0690123400001")  # 06901234000016
STRAWBERRY_GTIN = make_gtin("0690123400002")  # 06901234000023
SPINACH_GTIN = make_gtin("0690123400003")  # 06901234000030
CORN_GTIN = make_gtin("0690123400004")  # 06901234000047
DURIAN_GTIN = make_gtin("0885000000001")  # 08850000000010
MANGOSTEEN_GTIN = make_gtin("0885000000002")  # 08850000000027
LONGAN_GTIN = make_gtin("0885000000003")  # 08850000000034


@dataclass(frozen=True)
class Cast:
    """Who is who on the local chain (development keys: account index in the comment)."""

    authority: LocalAccount  # 0: Hangzhou market authority, the deployer
    greens_farm: LocalAccount  # 1
    berry_farm: LocalAccount  # 2
    customs: LocalAccount  # 3
    importer: LocalAccount  # 4
    wholesaler: LocalAccount  # 5
    lab: LocalAccount  # 6
    stall_a: LocalAccount  # 7
    stall_b: LocalAccount  # 8
    regulator: LocalAccount  # 9
    stall_c: LocalAccount  # 10


def cast() -> Cast:
    """The cast, each on its development account (see :class:`Cast`)."""
    return Cast(*(dev_account(i) for i in range(11)))


#: attribute, role, display name, GLN or licence number (registered in this order).
PARTICIPANTS = (
    ("greens_farm", "SUPPLIER", "Green Valley Farm, Lin'an", "6901234000016"),
    ("berry_farm", "SUPPLIER", "Sunberry Farm, Jiande", "6901234000023"),
    ("customs", "CUSTOMS", "Ningbo Customs District", "CN-NGB-CUSTOMS-3100"),
    ("importer", "SUPPLIER", "Tropical Fruit Imports Ltd", "6901234000030"),
    ("wholesaler", "SUPPLIER", "West Lake Produce Wholesale", "6901234000047"),
    ("lab", "LAB", "Market On-site Food Safety Lab", "CMA-2026-0417"),
    ("stall_a", "VENDOR", "Stall A12 Fresh Greens (Wang Li)", "JY33010600012345"),
    ("stall_b", "VENDOR", "Stall B03 Fruit Corner (Chen Mei)", "JY33010600067890"),
    ("regulator", "REGULATOR", "Hangzhou Market Supervision Bureau", "SAMR-HZ-01"),
    ("stall_c", "VENDOR", "Stall C07 Jiangnan Seasonal Produce (Zhao Jun)", "JY33010600054321"),
)


def names() -> dict[str, str]:
    """Display names by address, the market authority included."""
    who = cast()
    found = {getattr(who, attribute).address: name for attribute, _, name, _ in PARTICIPANTS}
    found[who.authority.address] = "Hangzhou market authority"
    return found


@dataclass(frozen=True)
class Product:
    gtin: str
    name: str
    unit: str  # UN/ECE Rec 20: KGM kilogram, H87 piece


GREENS = Product(GREENS_GTIN, "Leafy greens (qingcai)", "KGM")
SPINACH = Product(SPINACH_GTIN, "Spinach (bocai)", "KGM")
CORN = Product(CORN_GTIN, "Sweet corn (tian yumi)", "H87")
STRAWBERRIES = Product(STRAWBERRY_GTIN, "Jiande strawberries (caomei)", "KGM")
DURIAN = Product(DURIAN_GTIN, "Monthong durian (liulian)", "KGM")
MANGOSTEEN = Product(MANGOSTEEN_GTIN, "Mangosteen (shanzhu)", "KGM")
LONGAN = Product(LONGAN_GTIN, "Longan (longyan)", "KGM")
PRODUCTS = {p.gtin: p for p in (GREENS, SPINACH, CORN, STRAWBERRIES, DURIAN, MANGOSTEEN, LONGAN)}


@dataclass(frozen=True)
class Harvest:
    farm: str  # Cast attribute
    product: Product
    lot: str
    quantity: int
    hours_ago: int  # harvest date, before now
    origin: str  # geo URI of the field, or the farm's GLN
    leaf: tuple[int, int, int]  # the crop's colour in its photo


HARVESTS = (
    Harvest("greens_farm", GREENS, "GV-2611-01", 400, 20, "geo:30.2336,119.7248", (70, 150, 60)),
    Harvest("greens_farm", SPINACH, "SP-2611-03", 150, 30, "geo:30.2351,119.7190", (40, 110, 45)),
    Harvest("greens_farm", CORN, "SC-2611-02", 600, 44, "geo:30.2290,119.7311", (190, 190, 70)),
    Harvest("berry_farm", STRAWBERRIES, "SB-2611-07", 120, 18, "6901234000023", (200, 40, 50)),
    Harvest("berry_farm", STRAWBERRIES, "SB-2611-08", 90, 26, "6901234000023", (210, 50, 60)),
)


@dataclass(frozen=True)
class Import:
    """One line of the customs declaration: an imported lot."""

    product: Product
    lot: str
    quantity: int
    origin_country: str
    hs_code: str  # Harmonized System, China's 8-digit tariff line


@dataclass(frozen=True)
class CustomsDeclaration:
    """The declaration customs clears, recorded from a declaration file (one row a line)."""

    number: str
    entry_port: str  # UN/LOCODE
    hours_ago: int  # customs clearance, before now
    lines: tuple[Import, ...]


DURIAN_IMPORT = Import(DURIAN, "TH-DUR-0931", 300, "TH", "08106000")
THAI_FRUIT = CustomsDeclaration(
    "310120261000123456",
    "CNNGB",
    30,
    (
        DURIAN_IMPORT,
        Import(MANGOSTEEN, "TH-MGS-0931", 120, "TH", "08045030"),
        Import(LONGAN, "TH-LGN-0931", 200, "TH", "08109030"),
    ),
)

#: The wholesaler's repacks: parent lot -> (child lot, quantity) parts, in one split each.
REPACKS = (
    ("GV-2611-01", (("GV-2611-01-A", 50), ("GV-2611-01-B", 50), ("GV-2611-01-C", 60))),
    ("SP-2611-03", (("SP-2611-03-A", 40), ("SP-2611-03-C", 40))),
    ("SC-2611-02", (("SC-2611-02-A", 240), ("SC-2611-02-C", 200))),
    ("SB-2611-07", (("SB-2611-07-A", 20), ("SB-2611-07-B", 20))),
    ("SB-2611-08", (("SB-2611-08-B", 30), ("SB-2611-08-C", 30))),
    ("TH-DUR-0931", (("TH-DUR-0931-A", 30), ("TH-DUR-0931-C", 45))),
)


@dataclass(frozen=True)
class Inspection:
    lot: str
    passed: bool
    residues: tuple[Residue, ...]
    report_number: str | None  # a report document is recorded when there is a number
    summary: str


#: The on-site lab's rapid tests (limits: China GB 2763 pesticides, GB 2762 contaminants, µg/kg).
INSPECTIONS = (
    Inspection(
        "GV-2611-01-A",
        True,
        (Residue("chlorpyrifos", 4, 50), Residue("lead (Pb)", 20, 300)),
        None,
        "chlorpyrifos 4 / 50 ug/kg, lead 20 / 300 ug/kg, passed",
    ),
    Inspection(
        "SP-2611-03-A",
        True,
        (Residue("omethoate", 3, 20), Residue("lead (Pb)", 60, 300), Residue("cadmium (Cd)", 45, 200)),
        "CMA-2026-0417-0102",
        "omethoate 3 / 20, lead 60 / 300, cadmium 45 / 200 ug/kg, passed",
    ),
    Inspection(
        "SB-2611-08",
        True,
        (Residue("procymidone", 4, 10), Residue("carbofuran", 0, 20)),
        "CMA-2026-0417-0103",
        "procymidone 4 / 10, carbofuran 0 / 20 ug/kg, passed",
    ),
    Inspection(
        "SB-2611-07-A",
        True,
        (Residue("procymidone", 9, 10),),
        None,
        "procymidone 9 / 10 ug/kg, passed",
    ),
    Inspection(
        "SB-2611-07-B",
        False,
        (Residue("carbofuran", 37, 20),),
        "CMA-2026-0417-0105",
        "carbofuran 37 / 20 ug/kg, FAILED -> quarantined",
    ),
    Inspection(
        "TH-DUR-0931-C",
        True,
        (Residue("lead (Pb)", 15, 100), Residue("cadmium (Cd)", 6, 50)),
        "CMA-2026-0417-0106",
        "lead 15 / 100, cadmium 6 / 50 ug/kg, passed",
    ),
)

#: Which stall takes which repack.
DELIVERIES = (
    ("GV-2611-01-A", "stall_a"),
    ("SP-2611-03-A", "stall_a"),
    ("SC-2611-02-A", "stall_a"),
    ("SB-2611-07-A", "stall_b"),
    ("TH-DUR-0931-A", "stall_b"),
    ("SB-2611-08-B", "stall_b"),
    ("GV-2611-01-C", "stall_c"),
    ("SP-2611-03-C", "stall_c"),
    ("SC-2611-02-C", "stall_c"),
    ("SB-2611-08-C", "stall_c"),
    ("TH-DUR-0931-C", "stall_c"),
)

#: The failed repack the wholesaler tries to send anyway (the contract refuses).
QUARANTINED_LOT = "SB-2611-07-B"
QUARANTINED_TO = "stall_b"

#: A day's sales: lot, quantity (in the lot's unit), total price in fen (CNY minor units).
#: Leafy greens 6 CNY/kg, spinach 8, sweet corn 3.50 each, strawberries 36-39 CNY/kg,
#: Monthong durian 68-72 CNY/kg, as Hangzhou market stalls price them.
SALES = (
    ("GV-2611-01-A", 2, 1200),
    ("GV-2611-01-A", 1, 600),
    ("GV-2611-01-A", 3, 1800),
    ("SB-2611-07-A", 1, 3800),
    ("TH-DUR-0931-A", 2, 13600),
    ("SP-2611-03-A", 1, 800),
    ("SC-2611-02-A", 4, 1400),
    ("GV-2611-01-C", 2, 1300),
    ("SB-2611-08-B", 1, 3600),
    ("SB-2611-07-A", 2, 7600),
    ("TH-DUR-0931-C", 3, 21600),
    ("SP-2611-03-C", 2, 1700),
    ("GV-2611-01-A", 2, 1200),
    ("SC-2611-02-C", 5, 1900),
    ("SB-2611-08-C", 1, 3900),
    ("SP-2611-03-A", 2, 1600),
    ("TH-DUR-0931-A", 3, 20400),
    ("GV-2611-01-C", 4, 2600),
    ("SC-2611-02-A", 2, 700),
    ("SB-2611-08-B", 2, 7200),
    ("SB-2611-07-A", 1, 3800),
    ("SP-2611-03-C", 1, 850),
    ("TH-DUR-0931-C", 2, 14400),
    ("GV-2611-01-A", 1, 600),
    ("SC-2611-02-A", 6, 2100),
    ("SB-2611-08-C", 2, 7800),
    ("GV-2611-01-C", 1, 650),
    ("SP-2611-03-A", 1, 800),
    ("TH-DUR-0931-A", 4, 27200),
    ("SC-2611-02-C", 2, 760),
    ("SB-2611-08-B", 1, 3600),
    ("SC-2611-02-A", 3, 1050),
    ("GV-2611-01-A", 3, 1800),
)

#: The regulator's recall: the lot whose repack failed, traced forward to every sale.
RECALLED_LOT = "SB-2611-07"
RECALL_REASON = "Carbofuran residue 37 ug/kg over the 20 ug/kg limit in SB-2611-07-B"


def product_of(lot: str) -> Product:
    """The product of a lot of the scenario (a repack's product is its origin's)."""
    for harvest in HARVESTS:
        if lot.startswith(harvest.lot):
            return harvest.product
    for line in THAI_FRUIT.lines:
        if lot.startswith(line.lot):
            return line.product
    raise KeyError(f"{lot} is not a lot of the demo market")


def all_lots() -> list[str]:
    """Every lot of the scenario: origins, then repacks, in recording order."""
    origins = [h.lot for h in HARVESTS] + [line.lot for line in THAI_FRUIT.lines]
    return origins + [lot for _, parts in REPACKS for lot, _ in parts]
