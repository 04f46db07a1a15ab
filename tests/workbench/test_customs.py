"""The customs screen against the real app and chain: a declaration file with a bad row is
answered with its check report by row and column (nothing recorded); the corrected file is
recorded and each line shown with its lot; the same file again records nothing twice."""

from __future__ import annotations

from ledger.store.people import activity, create_person
from tests.workbench.conftest import PASSWORD, Bench, hidden_fields

HEADER = "declaration_number,entry_port,cleared_at,importer,line,gtin,lot,quantity,unit,origin_country,hs_code,document"
NUMBER = "310120261000777001"


def _file(importer: str, second_quantity: str = "120") -> bytes:
    rows = [
        f"{NUMBER},CNNGB,2026-11-24T09:30:00+08:00,{importer},1,08850000000010,WB-DUR-1,300,KGM,TH,0810600000,",
        f"{NUMBER},CNNGB,2026-11-24T09:30:00+08:00,{importer},2,08850000000027,WB-MAN-1,{second_quantity},KGM,TH,0810600000,",
    ]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def test_declaration_check_report_then_recorded_once(bench: Bench) -> None:
    customs = bench.sign_in("customs")
    importer = bench.addresses["wholesaler"]
    page = customs.get("/workbench/customs")
    fields = hidden_fields(page.text, "/workbench/customs/declarations")

    def send(data: bytes):
        return customs.post(
            "/workbench/customs/declarations", data=fields, files={"file": ("declaration.csv", data, "text/csv")}
        )

    bad = send(_file(importer, second_quantity="lots"))
    assert bad.status_code == 422, bad.text[:500]
    assert "nothing was recorded" in bad.text and "Row 3" in bad.text and "quantity" in bad.text
    good = send(_file(importer))
    assert good.status_code == 200, good.text[:800]
    assert f"Declaration {NUMBER}: 2 lines recorded on the ledger" in good.text
    assert "WB-DUR-1" in good.text and "WB-MAN-1" in good.text
    bench.sync()
    again = send(_file(importer))
    assert again.status_code == 409 and "is already recorded: nothing was sent again" in again.text
    listed = customs.get("/workbench/customs")
    assert NUMBER in listed.text and "WB-MAN-1" in listed.text
    # The declaration names the officer who sent it: its intents are on the activity page.
    done = [row for row in activity(bench.services.engine, bench.addresses["customs"]) if row.form == "declaration"]
    assert done and {(row.kind, row.status) for row in done} == {("declaration_part", "recorded")}
    assert "Customs declaration recorded" in customs.get("/workbench/activity").text


def test_a_second_person_of_customs_works_on_the_same_declarations(bench: Bench) -> None:
    create_person(bench.services.engine, "customs.two", bench.addresses["customs"], PASSWORD, "Second officer")
    client = bench.client()
    from tests.workbench.conftest import sign_in

    assert sign_in(client, "customs.two", PASSWORD).status_code == 303
    assert client.get("/workbench/customs").status_code == 200
