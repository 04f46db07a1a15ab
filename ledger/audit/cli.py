"""``freshledger audit``: rebuild the projections from the chain and compare, re-hash the
documents, check every sale's origin. Prints each finding; exit status 1 on any mismatch
(warnings such as a document absent from the store do not fail the audit).

freshledger audit [--rpc-url URL] [--database-url URL] [--json]
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ledger.audit import AuditReport, audit
from ledger.audit.rebuild import deployed_source
from ledger.documents import open_store
from ledger.settings import load_settings
from ledger.store.db import make_engine

#: Exit status when the audit finds a mismatch (like diff: 1 = differences found).
EXIT_MISMATCH = 1


def audit_command(
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL (default: the local chain)")] = None,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL of the audited database (default: SQLite under the data dir)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Audit the database against the chain and the documents against their CIDs."""
    settings = load_settings(rpc_url)
    source = deployed_source(settings.rpc_url, settings.data_dir)
    engine = make_engine(database_url)
    try:
        report = audit(engine, rpc_url=settings.rpc_url, source=source, documents=open_store(settings.data_dir))
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        print_report(report, Console())
    if not report.clean:
        raise typer.Exit(EXIT_MISMATCH)


def print_report(report: AuditReport, console: Console) -> None:
    """Each finding on its line, then a summary."""
    for finding in report.findings:
        label = "[bold red]MISMATCH[/]" if finding.severity == "error" else "[yellow]warning[/]"
        console.print(f"{label} [dim]{finding.kind}[/] {escape(finding.message())}", soft_wrap=True)
    errors = sum(f.severity == "error" for f in report.findings)
    warnings = len(report.findings) - errors
    summary = (
        f"{report.rows_compared:,} rows compared up to block {report.as_of_block}, "
        f"{report.documents_checked} documents re-hashed: "
    )
    if errors:
        console.print(f"[bold red]audit failed[/]: {summary}{errors} mismatch(es), {warnings} warning(s)")
    else:
        console.print(f"[bold green]audit clean[/]: {summary}{warnings} warning(s)")
