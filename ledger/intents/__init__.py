"""The durable write queue in front of the chain.

Every write is first stored as an intent (:mod:`ledger.intents.accept`), then a submitter of
its sender (:mod:`ledger.intents.submitter`, one per sender across all processes:
:mod:`ledger.intents.lock`) packs it into a transaction (:mod:`ledger.intents.kinds`),
stores the signed bytes, sends them and records the outcome
(:mod:`ledger.intents.outcome`); after a crash or an outage it reconciles with the node
(:mod:`ledger.intents.reconcile`); a transaction stuck unmined is replaced with higher fees
(:mod:`ledger.intents.replace`). Transactions participants signed themselves are relayed as
they are (:mod:`ledger.intents.relay`). :mod:`ledger.intents.pool` runs the submitters as
threads; :mod:`ledger.intents.local` runs one for a command-line write.
The SQL is in :mod:`ledger.store.intents`.
"""
