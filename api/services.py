"""What the routes work with, built once per app: the database engine (read path), the
chain client and contract (write path) and the participants' keystore."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from api.settings import ApiSettings
from ledger.chain.client import ChainClient
from ledger.chain.deploy import load as load_deployment
from ledger.chain.freshledger import FreshLedgerContract
from ledger.documents import DocumentStore, open_store
from ledger.keys import KeyStore
from ledger.store.db import make_engine, migrate


@dataclass
class Services:
    settings: ApiSettings
    engine: Engine
    keys: KeyStore
    documents: DocumentStore
    _ledger: FreshLedgerContract | None = None

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
    return Services(
        settings=settings,
        engine=engine,
        keys=KeyStore(settings.keystore_dir, settings.market_keystore_password()),
        documents=open_store(settings.data_dir),
    )
