"""Typed write and read calls on a deployed FreshLedger contract.

Each life-cycle step is one method that takes plain Python values (GTIN as a 14-digit
string or int, unit and currency codes as text, CIDs as bytes), signs the transaction with
the participant's key, waits until it is mined and returns the :class:`TxResult` with the
decoded events. Reverts raise :class:`ledger.errors.ContractRevert` carrying the contract's
custom error name and arguments.

Example::

    ledger = FreshLedgerContract(client, deployment.address)
    result = ledger.register_harvest(farm, gtin="09506000134352", lot="GRN-0412", quantity=500,
                                     unit="KGM", harvested_at=1764000000, origin="geo:30.27,120.15")
    batch_id = result.event("HarvestRegistered").args["batchId"]

The batch calls take lists of the dataclasses below and record them all or nothing; a
refused item raises :class:`ContractRevert` named ``HarvestLotInvalid``, ``ImportLineInvalid``
or ``SaleInvalid`` with the item's ``index`` and the single call's error as ``inner``::

    ledger.record_sales(vendor, [Sale(batch_id, 2, 1200, "CNY"), Sale(batch_id, 1, 600, "CNY")])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from ledger.chain.abi import ContractAbi
from ledger.chain.client import ChainClient, TxResult
from ledger.hexes import to_hex
from ledger.vocabulary import ROLE_IDS, STATUSES, Residue

#: An unset address in the contract's views (no pending recipient).
ZERO_ADDRESS = to_hex(bytes(20))


@dataclass(frozen=True)
class HarvestLot:
    """One lot of :meth:`FreshLedgerContract.register_harvests` (the single call's fields)."""

    gtin: str | int
    lot: str
    quantity: int
    unit: str
    harvested_at: int
    origin: str
    document_cid: bytes = b""


@dataclass(frozen=True)
class Declaration:
    """The header of a customs declaration. `line_count` is the whole declaration's number of
    lines when it is recorded in several calls (None: the lines of this one call)."""

    number: str
    entry_port: str
    cleared_at: int
    importer: str
    document_cid: bytes = b""
    line_count: int | None = None


@dataclass(frozen=True)
class ImportLine:
    """One line of a customs declaration; `hs_code` has 6 to 10 digits ("081060")."""

    gtin: str | int
    lot: str
    quantity: int
    unit: str
    origin_country: str
    hs_code: str


@dataclass(frozen=True)
class Sale:
    """One sale of :meth:`FreshLedgerContract.record_sales`: with a `serial`, the one the
    write queue reserved for it (the contract records it under that serial or refuses it);
    without, the batch's next."""

    batch_id: bytes
    quantity: int
    price: int
    currency: str
    serial: int | None = None


@dataclass(frozen=True)
class BatchState:
    """What the contract stores about a batch."""

    gtin: str
    unit: str
    status: str
    remaining: int
    custodian: str
    pending_recipient: str | None
    sale_count: int


def gtin_number(gtin: str | int) -> int:
    """A GTIN as the contract's uint64 (GTIN-8/12/13/14 text or a number)."""
    return int(gtin)


def code(text: str, size: int) -> bytes:
    """A short ASCII code (unit, currency, country) as a fixed-size bytesN value."""
    raw = text.encode("ascii")
    if len(raw) > size:
        raise ValueError(f"code {text!r} is longer than {size} characters")
    return raw.ljust(size, b"\0")


def uncode(value: bytes) -> str:
    return bytes(value).rstrip(b"\0").decode("ascii")


def sale_groups(sales: Sequence[Sale]) -> list[tuple[bytes, bytes, int, list[tuple[int, int]]]]:
    """`sales` as the contract's ``BatchSales[]``: runs of consecutive sales of one batch in
    one currency, and with consecutive serials when they carry them (a group names only its
    first serial; 0 for sales without one, which take the batch's next serials).

    The order is kept, so the n-th sale is the n-th ``SaleRecorded`` and the ``index`` of a
    ``SaleInvalid``; sort the sales by batch first for one storage write per batch.
    """
    groups: list[tuple[bytes, bytes, int, list[tuple[int, int]]]] = []
    previous: Sale | None = None
    for sale in sales:
        currency = code(sale.currency, 3)
        follows = (
            previous is not None
            and groups[-1][:2] == (sale.batch_id, currency)
            and (
                (sale.serial is None and previous.serial is None)
                or (sale.serial is not None and previous.serial is not None and sale.serial == previous.serial + 1)
            )
        )
        if not follows:
            groups.append((sale.batch_id, currency, sale.serial or 0, []))
        groups[-1][3].append((sale.quantity, sale.price))
        previous = sale
    return groups


class FreshLedgerContract:
    """One deployed FreshLedger contract seen through a :class:`ChainClient`."""

    def __init__(self, client: ChainClient, address: str, abi: ContractAbi | None = None) -> None:
        self.client = client
        self.address = to_checksum_address(address)
        self.abi = abi or ContractAbi.load()

    # ------------------------------------------------------------ plumbing

    def transact(self, sender: LocalAccount, function: str, *args: Any) -> TxResult:
        """Send `function(*args)` from `sender` and wait for it."""
        data = self.abi.encode_call(function, args)
        return self.client.transact(sender, to=self.address, data=data, abi=self.abi)

    def read(self, function: str, *args: Any) -> list[Any]:
        """``eth_call`` a view function."""
        raw = self.client.call(self.address, self.abi.encode_call(function, args), abi=self.abi)
        return self.abi.decode_result(function, raw)

    def simulate(self, sender: str, function: str, *args: Any) -> None:
        """Run `function(*args)` as an ``eth_call`` from `sender` against the latest block:
        raises the :class:`ContractRevert` sending it would meet; sends nothing."""
        self.client.call(self.address, self.abi.encode_call(function, args), abi=self.abi, sender=sender)

    # ------------------------------------------------------------ participants

    def register_participant(
        self, admin: LocalAccount, account: str, role: str, name: str, identifier: str
    ) -> TxResult:
        return self.transact(admin, "registerParticipant", *participant_args(account, role, name, identifier))

    def grant_role(self, admin: LocalAccount, role: str, account: str) -> TxResult:
        return self.transact(admin, "grantRole", ROLE_IDS[role], to_checksum_address(account))

    def suspend_participant(self, admin: LocalAccount, account: str, reason: str) -> TxResult:
        return self.transact(admin, "suspendParticipant", *suspend_args(account, reason))

    def reinstate_participant(self, admin: LocalAccount, account: str) -> TxResult:
        return self.transact(admin, "reinstateParticipant", *reinstate_args(account))

    # ------------------------------------------------------------ origins

    def register_harvest(
        self,
        supplier: LocalAccount,
        *,
        gtin: str | int,
        lot: str,
        quantity: int,
        unit: str,
        harvested_at: int,
        origin: str,
        document_cid: bytes = b"",
    ) -> TxResult:
        harvest = HarvestLot(gtin, lot, quantity, unit, harvested_at, origin, document_cid)
        return self.transact(supplier, "registerHarvest", *harvest_args(harvest))

    def register_import(
        self,
        customs: LocalAccount,
        *,
        gtin: str | int,
        lot: str,
        quantity: int,
        unit: str,
        importer: str,
        origin_country: str,
        declaration_number: str,
        cleared_at: int,
        entry_port: str,
        document_cid: bytes = b"",
        hs_code: str = "",
    ) -> TxResult:
        """One line of a declaration; an empty `hs_code` records none."""
        line = ImportLine(gtin, lot, quantity, unit, origin_country, hs_code)
        declaration = Declaration(declaration_number, entry_port, cleared_at, importer, document_cid)
        return self.transact(customs, "registerImport", *import_args(line, declaration))

    def register_harvests(self, supplier: LocalAccount, lots: Sequence[HarvestLot]) -> TxResult:
        """Many lots in one transaction, all or nothing (one ``HarvestRegistered`` each)."""
        return self.transact(supplier, "registerHarvests", *harvests_args(lots))

    def register_imports(
        self, customs: LocalAccount, declaration: Declaration, lines: Sequence[ImportLine], *, first_line: int = 0
    ) -> TxResult:
        """Lines `first_line`... of `declaration` in one transaction, all or nothing."""
        return self.transact(customs, "registerImports", *imports_args(declaration, lines, first_line))

    # ------------------------------------------------------------ custody

    def hand_off(self, sender: LocalAccount, batch_id: bytes, to: str) -> TxResult:
        return self.transact(sender, "handOff", *hand_off_args(batch_id, to))

    def accept_hand_off(self, recipient: LocalAccount, batch_id: bytes) -> TxResult:
        return self.transact(recipient, "acceptHandOff", batch_id)

    def cancel_hand_off(self, sender: LocalAccount, batch_id: bytes) -> TxResult:
        return self.transact(sender, "cancelHandOff", batch_id)

    # ------------------------------------------------------------ repacking

    def split(self, custodian: LocalAccount, parent_id: bytes, parts: Sequence[tuple[str, int]]) -> TxResult:
        """Split into ``[(lot, quantity), ...]``."""
        return self.transact(custodian, "split", *split_args(parent_id, parts))

    def merge(self, custodian: LocalAccount, parent_ids: Sequence[bytes], lot: str) -> TxResult:
        return self.transact(custodian, "merge", *merge_args(parent_ids, lot))

    # ------------------------------------------------------------ food safety and sale

    def record_inspection(
        self,
        lab: LocalAccount,
        batch_id: bytes,
        *,
        passed: bool,
        residues: Sequence[Residue],
        report_cid: bytes = b"",
    ) -> TxResult:
        return self.transact(lab, "recordInspection", *inspection_args(batch_id, passed, residues, report_cid))

    def release_quarantine(self, regulator: LocalAccount, batch_id: bytes, reason: str) -> TxResult:
        return self.transact(regulator, "releaseQuarantine", batch_id, reason)

    def record_sale(
        self, vendor: LocalAccount, batch_id: bytes, *, quantity: int, price: int, currency: str
    ) -> TxResult:
        return self.transact(vendor, "recordSale", *sale_args(Sale(batch_id, quantity, price, currency)))

    def record_sales(self, vendor: LocalAccount, sales: Sequence[Sale]) -> TxResult:
        """Many sales in one transaction, all or nothing, in the given order (see
        :func:`sale_groups`)."""
        return self.transact(vendor, "recordSales", sale_groups(sales))

    def recall(self, regulator: LocalAccount, batch_ids: Sequence[bytes], reason: str) -> TxResult:
        return self.transact(regulator, "recall", *recall_args(batch_ids, reason))

    def map_plu(self, vendor: LocalAccount, plu: int, batch_id: bytes) -> TxResult:
        """Set the vendor's scale key `plu` to sell from `batch_id` (one it could sell now)."""
        return self.transact(vendor, "mapPlu", plu, batch_id)

    # ------------------------------------------------------------ views

    # ------------------------------------------------------------ notices and floor plan

    def publish_notice(
        self,
        author: LocalAccount,
        cid: bytes,
        valid_from: int,
        valid_until: int,
        *,
        batch_id: bytes | None = None,
        stall: str | None = None,
    ) -> TxResult:
        """Publish the notice whose text is document `cid` for ``[valid_from, valid_until)``;
        `batch_id` and `stall` name the lot and the stall it concerns, if any."""
        return self.transact(author, "publishNotice", *notice_args(cid, valid_from, valid_until, batch_id, stall))

    def publish_layout(self, authority: LocalAccount, cid: bytes) -> TxResult:
        """Set the market's floor plan to document `cid`."""
        return self.transact(authority, "publishLayout", cid)

    def batch(self, batch_id: bytes) -> BatchState:
        (view,) = self.read("batch", batch_id)
        return BatchState(
            gtin=f"{view['gtin']:014d}",
            unit=uncode(view["unit"]),
            status=STATUSES[view["status"]],
            remaining=view["remaining"],
            custodian=view["custodian"],
            pending_recipient=None if view["pendingRecipient"] == ZERO_ADDRESS else view["pendingRecipient"],
            sale_count=view["saleCount"],
        )

    def batch_id(self, gtin: str | int, lot: str) -> bytes:
        (value,) = self.read("batchIdOf", gtin_number(gtin), lot)
        return value

    def declaration_lines(self, number: str) -> tuple[int, int]:
        """(recorded lines, line count) of a declaration recorded through ``register_imports``."""
        recorded, count = self.read("declarationLines", number)
        return recorded, count

    def has_role(self, role: str, account: str) -> bool:
        (value,) = self.read("hasRole", ROLE_IDS[role], to_checksum_address(account))
        return value


# ------------------------------------------------------------------ call arguments
# The one place each call's arguments are built: the typed methods above and the write
# queue's kinds (ledger.intents.kinds) both use these.


def participant_args(account: str, role: str, name: str, identifier: str) -> list[Any]:
    """``registerParticipant``."""
    return [to_checksum_address(account), ROLE_IDS[role], name, identifier]


def suspend_args(account: str, reason: str) -> list[Any]:
    """``suspendParticipant``."""
    return [to_checksum_address(account), reason]


def reinstate_args(account: str) -> list[Any]:
    """``reinstateParticipant``."""
    return [to_checksum_address(account)]


def harvest_args(lot: HarvestLot) -> list[Any]:
    """``registerHarvest`` (and one row of ``registerHarvests``)."""
    return [
        gtin_number(lot.gtin),
        lot.lot,
        lot.quantity,
        code(lot.unit, 3),
        lot.harvested_at,
        lot.origin,
        lot.document_cid,
    ]


def import_args(line: ImportLine, declaration: Declaration) -> list[Any]:
    """``registerImport``: one line with its declaration's fields; an empty HS code records none."""
    return [
        gtin_number(line.gtin),
        line.lot,
        line.quantity,
        code(line.unit, 3),
        to_checksum_address(declaration.importer),
        code(line.origin_country, 2),
        code(line.hs_code, 10),
        declaration.number,
        declaration.cleared_at,
        declaration.entry_port,
        declaration.document_cid,
    ]


def hand_off_args(batch_id: bytes, to: str) -> list[Any]:
    """``handOff``."""
    return [batch_id, to_checksum_address(to)]


def split_args(parent_id: bytes, parts: Sequence[tuple[str, int]]) -> list[Any]:
    """``split`` into ``[(lot, quantity), ...]``."""
    return [parent_id, [(lot, quantity) for lot, quantity in parts]]


def merge_args(parent_ids: Sequence[bytes], lot: str) -> list[Any]:
    """``merge``."""
    return [list(parent_ids), lot]


def inspection_args(batch_id: bytes, passed: bool, residues: Sequence[Residue], report_cid: bytes) -> list[Any]:
    """``recordInspection``."""
    return [batch_id, passed, [(r.substance, r.measured, r.limit, r.unit) for r in residues], report_cid]


def sale_args(sale: Sale) -> list[Any]:
    """``recordSale``."""
    return [sale.batch_id, sale.quantity, sale.price, code(sale.currency, 3)]


def recall_args(batch_ids: Sequence[bytes], reason: str) -> list[Any]:
    """``recall`` of many batches."""
    return [list(batch_ids), reason]


def notice_args(
    cid: bytes, valid_from: int, valid_until: int, batch_id: bytes | None = None, stall: str | None = None
) -> list[Any]:
    """``publishNotice``: no lot is the zero batch id, no stall the zero address."""
    return [cid, valid_from, valid_until, batch_id or bytes(32), to_checksum_address(stall) if stall else ZERO_ADDRESS]


def harvests_args(lots: Sequence[HarvestLot]) -> list[Any]:
    """The arguments of ``registerHarvests`` for `lots`."""
    return [[tuple(harvest_args(lot)) for lot in lots]]


def imports_args(declaration: Declaration, lines: Sequence[ImportLine], first_line: int = 0) -> list[Any]:
    """The arguments of ``registerImports`` for lines `first_line`... of `declaration`."""
    line_count = len(lines) if declaration.line_count is None else declaration.line_count
    header = (
        declaration.number,
        declaration.entry_port,
        declaration.cleared_at,
        to_checksum_address(declaration.importer),
        declaration.document_cid,
        line_count,
    )
    rows = [
        (
            gtin_number(line.gtin),
            line.lot,
            line.quantity,
            code(line.unit, 3),
            code(line.origin_country, 2),
            code(line.hs_code, 10),
        )
        for line in lines
    ]
    return [header, first_line, rows]


def batch_id_of(gtin: str | int, lot: str) -> bytes:
    """The contract's ``batchIdOf`` computed locally: keccak256(abi.encode(gtin, lot))."""
    return keccak(encode(["uint64", "string"], [gtin_number(gtin), lot]))


def sale_id_of(batch_id: bytes, serial: int) -> bytes:
    """The contract's ``saleIdOf`` computed locally."""
    return keccak(encode(["bytes32", "uint32"], [batch_id, serial]))
