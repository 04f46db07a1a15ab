"""Every error of the batch calls reads as a sentence; a refused item is named by its index."""

from __future__ import annotations

from typing import cast

from fastapi import Request

from api.errors import ITEM_WORDS, SENTENCES, describe_revert
from ledger.chain.abi import ContractAbi
from ledger.errors import ContractRevert

#: A request is only consulted for errors that name a batch (to show its lot code).
NO_REQUEST = cast(Request, None)


def test_the_batch_calls_errors_have_sentences() -> None:
    names = set(ContractAbi.load().error_names)
    new = {"InvalidHsCode", "DeclarationExists", "DeclarationOutOfOrder", "DeclarationMismatch"}
    new |= {"DeclarationLineOutOfRange"}
    assert new <= names and new <= SENTENCES.keys()
    assert set(ITEM_WORDS) == {"HarvestLotInvalid", "ImportLineInvalid", "SaleInvalid"} <= names


def test_a_refused_line_reads_as_its_index_and_the_single_calls_sentence() -> None:
    inner = ContractRevert("InvalidGtin", {"gtin": 6901234000017})
    revert = ContractRevert("ImportLineInvalid", {"index": 7, "reason": b"..."}, inner=inner)
    assert describe_revert(NO_REQUEST, revert) == "line 7: 6901234000017 is not a valid GTIN"
    sale = ContractRevert("SaleInvalid", {"index": 3, "reason": b""}, inner=ContractRevert("ZeroQuantity", {}))
    assert describe_revert(NO_REQUEST, sale) == "sale 3: quantities must be positive"


def test_declaration_errors_name_the_declaration() -> None:
    exists = ContractRevert("DeclarationExists", {"declarationNumber": "310120261000123456"})
    assert describe_revert(NO_REQUEST, exists) == "customs declaration 310120261000123456 is already recorded"
    order = ContractRevert("DeclarationOutOfOrder", {"declarationNumber": "D1", "nextLine": 300, "firstLine": 0})
    assert describe_revert(NO_REQUEST, order) == "customs declaration D1 continues at line 300, not at line 0"
