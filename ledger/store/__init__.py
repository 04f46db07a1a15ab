"""The SQL side of the read path: tables, engine, migrations, and the writes the indexer makes.

Only this package and :mod:`ledger.queries` import SQLAlchemy.
"""

# Every table in Base.metadata (which the migrations are checked against), whichever module of
# the package is imported first: the write queue's tables live in a module of their own.
from ledger.store import intent_models, models, people_models, scale_models  # noqa: F401
