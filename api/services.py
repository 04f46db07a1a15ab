"""What the routes work with, built once per app: the database engine (read path), the
chain client and contract (write path), the participants' keystore, the receipts' key and
the box that seals webhook secrets."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from api.receipts import ReceiptProofs
from api.settings import ApiSettings
from ledger.chain.client import ChainClient
from ledger.chain.deploy import load as load_deployment
from ledger.chain.freshledger import FreshLedgerContract
from ledger.documents import DocumentStore, open_store
from ledger.keys import KeyStore
from ledger.notify.secret_box import SecretBox, load_secret_box
from ledger.notify.targets import TargetPolicy
from ledger.store.db import make_engine, migrate
from ledger.store.webhooks import seal_clear_secrets


@dataclass
class Services:
    settings: ApiSettings
    engine: Engine
    keys: KeyStore
    documents: DocumentStore
    webhook_box: SecretBox
    webhook_targets: TargetPolicy
    _ledger: FreshLedgerContract | None = None
    _receipts: ReceiptProofs | None = None

    @property
    def receipts(self) -> ReceiptProofs:
        """The receipts' rating proofs; the key is read (or made) on first use."""
        if self._receipts is None:
            key = self.settings.receipt_key
            self._receipts = ReceiptProofs.from_settings(
                key.get_secret_value() if key else None, self.settings.data_dir
            )
        return self._receipts

    @property
    def ledger(self) -> FreshLedgerContract:
        """The deployed contract; resolved on first write so that reads work without a node."""
        if self._ledger is None:
            client = ChainClient(self.settings.rpc_url)
            deployment = load_deployment(client, self.settings.data_dir)
            self._ledger = FreshLedgerContract(client, deployment.address)
        return self._ledger


def build_services(settings: ApiSettings) -> Services:
    engine = make_engine(settings.database_url)
    migrate(engine)
    box = load_secret_box(settings.data_dir, settings.webhook_key)
    seal_clear_secrets(engine, box)  # secrets from before sealing existed (see migration 0007)
    services = Services(
        settings=settings,
        engine=engine,
        keys=KeyStore(settings.keystore_dir, settings.keystore_password),
        documents=open_store(settings.data_dir),
        webhook_box=box,
        webhook_targets=settings.webhook_targets,
    )
    services.receipts  # noqa: B018 - the key is made at start, not on the first sale
    return services
