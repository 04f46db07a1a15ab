"""Domain queries over the indexer's database. They never call the node."""

from ledger.queries.custody import chain_of_custody, chain_of_custody_for_batch
from ledger.queries.stalls import stall_profile
from ledger.queries.trace import trace_forward

__all__ = ["chain_of_custody", "chain_of_custody_for_batch", "stall_profile", "trace_forward"]
