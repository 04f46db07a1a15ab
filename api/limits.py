"""How many items one request may carry: every list a write takes is capped here, and a
request over a cap is refused with 422 (naming the field and the cap) before any
transaction is built.

The caps keep one transaction well inside the share of a block a participant may take
(half of the 30M block gas limit, as lot recalls are chunked: ``ledger.recall.onchain``).
From the gas figures in BENCHMARKS.md: a split costs about 29k gas a part, so 200 parts is
about 6M; a merge about 15k a parent, so 200 parents is about 3M; a recall about 9.5k a
batch, so 500 batches is about 5M (a lot recall larger than that is chunked by
``POST /recalls/lots``, which takes one lot, not a list). An inspection records a few
residues, rarely more than a multi-residue screen's hundred. A product has a name in each
language at most (ISO 639-1 has 184 two-letter codes).
"""

from __future__ import annotations

MAX_SPLIT_PARTS = 200
MAX_MERGE_PARENTS = 200
MAX_RECALL_BATCHES = 500
MAX_RESIDUES = 100
MAX_PRODUCT_NAMES = 184
