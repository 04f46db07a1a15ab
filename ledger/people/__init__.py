"""The workbench's people: password hashes (argon2id) and second factors (RFC 6238 TOTP).
Their storage is :mod:`ledger.store.people`."""
