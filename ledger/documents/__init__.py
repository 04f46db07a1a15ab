"""Documents by content address: IPFS-compatible CIDs, the local store and an IPFS node.

Customs declarations, lab certificates and harvest photos live off-chain; the contract
events carry their binary CIDs. ``put`` returns the CID FreshLedger computes (exactly what
``ipfs add --cid-version=1 --raw-leaves --chunker=size-262144`` prints), ``get`` returns the
bytes only after they hash to the CID again, and ``verify`` re-hashes a stored copy.

Example::

    store = open_store()                       # local folder, or $FRESHLEDGER_IPFS_API
    cid = store.put(pdf, "application/pdf")
    bytes(cid)                                 # the binary CID for the contract call
    store.get(cid) == pdf                      # True, or DocumentIntegrityError
"""

from ledger.documents.backends import documents_dir, open_store
from ledger.documents.cid import CidBuilder, CidLike, cid_of, cid_of_file, cid_of_stream, parse_cid
from ledger.documents.ipfs import IpfsDocumentStore
from ledger.documents.local import LocalDocumentStore
from ledger.documents.store import DocumentInfo, DocumentStore

__all__ = [
    "CidBuilder",
    "CidLike",
    "DocumentInfo",
    "DocumentStore",
    "IpfsDocumentStore",
    "LocalDocumentStore",
    "cid_of",
    "cid_of_file",
    "cid_of_stream",
    "documents_dir",
    "open_store",
    "parse_cid",
]
