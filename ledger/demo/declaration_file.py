"""The demo's customs declaration as the file a customs broker sends: a CSV of one row a line
with the declaration's own fields repeated on each row, the declaration's PDF beside it
(named in the ``document`` column). The demo records it through
:func:`ledger.intake.declaration_files.import_declaration_file`, the path of
``freshledger customs import``, so that the demo exercises the file path end to end.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime
from pathlib import Path

from ledger.demo.market import CustomsDeclaration
from ledger.demo.papers import Paper, customs_declaration
from ledger.intake.columns import DECLARATION


def write_declaration(
    folder: Path, declaration: CustomsDeclaration, *, importer: str, cleared_at: int, paper: Paper
) -> Path:
    """Write `declaration` as ``declaration-NUMBER.csv`` in `folder`, with its `paper` as
    ``declaration-NUMBER.pdf``; return the CSV's path. `importer` is the importer's GLN."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"declaration-{declaration.number}"
    document = folder / f"{stem}.pdf"
    document.write_bytes(paper.data)
    header = {
        "declaration_number": declaration.number,
        "entry_port": declaration.entry_port,
        "cleared_at": datetime.fromtimestamp(cleared_at, UTC).isoformat(),
        "importer": importer,
        "document": document.name,
    }
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=DECLARATION.columns, lineterminator="\r\n")
    writer.writeheader()
    for number, line in enumerate(declaration.lines, start=1):
        writer.writerow(
            {
                **header,
                "line": number,
                "gtin": line.product.gtin,
                "lot": line.lot,
                "quantity": line.quantity,
                "unit": line.product.unit,
                "origin_country": line.origin_country,
                "hs_code": line.hs_code,
            }
        )
    file = folder / f"{stem}.csv"
    file.write_text(out.getvalue(), encoding="utf-8")
    return file


def declaration_paper(declared: CustomsDeclaration, consignee: str, cleared_at: int) -> Paper:
    """The declaration's PDF: its header and one line of goods per declaration line."""
    return customs_declaration(
        [
            ("Declaration no.", declared.number),
            ("Customs district", "Ningbo (3100)"),
            ("Port of entry", f"Ningbo-Zhoushan ({declared.entry_port})"),
            ("Consignee", consignee),
            *(
                (f"Line {n}", f"{line.product.name}, fresh, HS {_hs(line.hs_code)}, {line.quantity} kg net")
                for n, line in enumerate(declared.lines, start=1)
            ),
            ("Country of origin", "Thailand (TH)"),
            ("Cleared (UTC)", time.strftime("%Y-%m-%d %H:%M", time.gmtime(cleared_at))),
        ]
    )


def _hs(code: str) -> str:
    """An 8-digit HS code as printed: 0810.60.00."""
    return f"{code[:4]}.{code[4:6]}.{code[6:]}"
