"""The SQL side of the read path: tables, engine, migrations, and the writes the indexer makes.

Only this package and :mod:`ledger.queries` import SQLAlchemy.
"""
