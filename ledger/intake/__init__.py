"""Customs declaration files and suppliers' harvest sheets: read, checked as a whole, recorded.

A file (CSV, XLSX or JSON; flat columns, one row a line) is bounded before it is parsed
(size, rows, cell lengths, an XLSX's inflated size), read into a table of text cells, and
checked row by row and as a whole against the ledger's state. Every problem comes back at
once with its row, column and reason; only a file without problems becomes the typed value
(:class:`DeclarationFile`, :class:`HarvestSheet`) that goes through the write queue
(:mod:`ledger.intake.queued`): a declaration as ``registerImports`` calls under its number
(``declaration_part`` intents), a sheet as ``harvest`` intents packed into
``registerHarvests``. (The chain's own types of those calls are
:class:`ledger.chain.freshledger.Declaration` and ``HarvestLot``.)

Example::

    table = read_table(Path("declaration.csv").read_bytes(), "csv")
    checked = check_declaration(table, ChainState(ledger, deployment.deploy_block))
    if checked.ok:
        queued = queue_declaration(engine, ledger, customs.address, checked.value)
    else:
        for problem in checked.problems:
            print(problem)        # row 4, gtin: '08850000000011' has a wrong check digit: ...
"""

from ledger.intake.checks import Checked
from ledger.intake.columns import DECLARATION, HARVEST_SHEET, Layout
from ledger.intake.declaration import DeclarationFile, DeclarationFileLine, check_declaration
from ledger.intake.harvests import HarvestSheet, SheetLot, check_harvest_sheet
from ledger.intake.payloads import LINES_PER_CALL
from ledger.intake.problems import FileRefused, Problem
from ledger.intake.queued import QueuedFile, first_attempt, queue_declaration, queue_harvest_sheet
from ledger.intake.read import UnknownFormat, format_of_media_type, format_of_name, read_table
from ledger.intake.recorded import FileRecorded, recorded_file
from ledger.intake.state import LedgerState, ParticipantFacts, RecordedDeclaration
from ledger.intake.table import Table
from ledger.intake.templates import template_csv, template_xlsx

__all__ = [
    "DECLARATION",
    "HARVEST_SHEET",
    "LINES_PER_CALL",
    "Checked",
    "DeclarationFile",
    "DeclarationFileLine",
    "FileRecorded",
    "FileRefused",
    "HarvestSheet",
    "Layout",
    "LedgerState",
    "ParticipantFacts",
    "Problem",
    "QueuedFile",
    "RecordedDeclaration",
    "SheetLot",
    "Table",
    "UnknownFormat",
    "check_declaration",
    "check_harvest_sheet",
    "first_attempt",
    "format_of_media_type",
    "format_of_name",
    "queue_declaration",
    "queue_harvest_sheet",
    "read_table",
    "recorded_file",
    "template_csv",
    "template_xlsx",
]
