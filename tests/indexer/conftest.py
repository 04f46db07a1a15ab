"""Indexer tests use the `chain` fixture (tests/conftest.py): a fresh chain per test, since
reorgs rewrite it, and the `databases` fixture: every test on SQLite and on PostgreSQL."""
