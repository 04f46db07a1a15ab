"""Test support: the real parts tests drive, named for what they are (a headless browser, an
app served on a loopback port, migrated databases of each kind, an HTML tree for assertions).
Builders of markets and records live in ``tests/factories``."""
