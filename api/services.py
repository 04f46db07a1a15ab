"""What the routes work with, built once per app: the database engine (read path), the
chain client and contract (write path), the participants' keystore, the receipts' key, the
box that seals webhook secrets, and the write queue (the submitters this process runs and the
watcher that wakes waiting requests), and the worker's cache of scan answers."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from api.lots import LotCache
from api.receipts import ReceiptProofs
from api.roles import KeyCache, RoleCache
from api.scan_cache import ScanCache
from api.scan_counter import ScanCounter
from api.settings import ApiSettings
from api.shared_answers import SHARED_ANSWERS_FILE, SharedAnswers
from ledger.chain.client import ChainClient
from ledger.chain.deploy import load as load_deployment
from ledger.chain.freshledger import FreshLedgerContract
from ledger.documents import DocumentStore, open_store
from ledger.intents.accept import AcceptBatcher
from ledger.intents.pool import IntentWatcher, SubmitterPool
from ledger.intents.settings import QueueSettings
from ledger.keys import KeyStore
from ledger.notices.publish import DocumentCache
from ledger.notify.secret_box import SecretBox, load_secret_box
from ledger.notify.targets import TargetPolicy
from ledger.store.change_marks import database_instance
from ledger.store.db import make_engine, migrate
from ledger.store.receipt_scans import CopyRule
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
    _published: DocumentCache | None = None

    @property
    def published(self) -> DocumentCache:
        """Notice texts and floor plans by CID, read from the document store once each."""
        if self._published is None:
            self._published = DocumentCache(self.documents)
        return self._published

    @property
    def receipts(self) -> ReceiptProofs:
        """The receipts' rating proofs; the key is read (or made) on first use."""
        if self._receipts is None:
            key = self.settings.receipt_key
            self._receipts = ReceiptProofs.from_settings(
                key.get_secret_value() if key else None, self.settings.data_dir
            )
        return self._receipts

    _scan_cache: ScanCache | None = None

    @property
    def scan_cache(self) -> ScanCache:
        """This worker's rendered scan answers, and its host's others' (made on first use)."""
        if self._scan_cache is None:
            budget = self.settings.scan_cache_mb * 1024 * 1024
            shared = None
            # A database without its instance (its migrations bypassed) cannot name its answers.
            instance = database_instance(self.engine) if self.settings.scan_cache_shared and budget else ""
            if instance:
                shared = SharedAnswers(self.settings.data_dir / SHARED_ANSWERS_FILE, budget, instance)
            self._scan_cache = ScanCache(self.engine, budget, shared)
        return self._scan_cache

    _lots: LotCache | None = None

    @property
    def lots(self) -> LotCache:
        """The GTIN and lot of batches sold from, for the sales' QR links (read once each)."""
        if self._lots is None:
            self._lots = LotCache(self.engine)
        return self._lots

    _scans: ScanCounter | None = None

    @property
    def scans(self) -> ScanCounter:
        """The receipt scans' counter (its writer thread starts with the first scan)."""
        if self._scans is None:
            s = self.settings
            rule = CopyRule(networks=s.scan_flag_networks, window_s=s.scan_flag_window_s)
            self._scans = ScanCounter(self.engine, rule, flush_s=s.scan_flush_s, retention_s=s.scan_retention_s)
        return self._scans

    roles: RoleCache = field(default_factory=lambda: RoleCache(0.0, 0.0))
    api_keys: KeyCache = field(default_factory=lambda: KeyCache(0.0))
    pool: SubmitterPool | None = None
    watcher: IntentWatcher | None = None
    _batcher: AcceptBatcher | None = None
    _batcher_guard: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.roles = RoleCache(self.settings.role_cache_s, self.settings.role_cache_stale_s)
        self.api_keys = KeyCache(self.settings.role_cache_s)

    @property
    def batcher(self) -> AcceptBatcher:
        """Checks and stores single writes in bursts (started on the first write)."""
        with self._batcher_guard:
            if self._batcher is None:
                self._batcher = AcceptBatcher(self.engine, self.ledger, stored=self.wake)
            return self._batcher

    @property
    def ledger(self) -> FreshLedgerContract:
        """The deployed contract; resolved on first write so that reads work without a node."""
        if self._ledger is None:
            client = ChainClient(self.settings.rpc_url)
            deployment = load_deployment(client, self.settings.data_dir)
            self._ledger = FreshLedgerContract(client, deployment.address)
        return self._ledger

    # ------------------------------------------------------------ the write queue

    def start_queue(self) -> None:
        """Start the watcher and, unless ``freshledger submit`` runs them, the submitters."""
        if self.watcher is not None:
            return
        self.watcher = IntentWatcher(self.engine)
        self.watcher.start()
        if self.settings.queue_submitters:
            self.pool = SubmitterPool(
                self.engine,
                rpc_url=self.settings.rpc_url,
                contract=lambda client: FreshLedgerContract(client, self.ledger.address, self.ledger.abi),
                account_of=self._account_of,
                settings=QueueSettings(
                    max_in_flight=self.settings.queue_max_in_flight,
                    group_window_s=self.settings.queue_group_window_s,
                    bump_after_blocks=self.settings.queue_bump_after_blocks,
                    bump_percent=self.settings.queue_bump_percent,
                    reorg_watch_blocks=self.settings.queue_reorg_watch_blocks,
                ),
                watcher=self.watcher,
            )
            self.watcher.local_senders = self.pool.running_senders
            self.pool.start()

    def stop_queue(self) -> None:
        with self._batcher_guard:
            if self._batcher is not None:
                self._batcher.stop()
                self._batcher = None
        if self.pool is not None:
            self.pool.stop()
            self.pool = None
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None

    def stop_scans(self) -> None:
        """Write the receipt scans waiting in memory and stop their writer."""
        if self._scans is not None:
            self._scans.close()

    def wake(self, sender: str) -> None:
        """An intent of `sender` was stored: its submitter, if in this process, looks now."""
        if self.pool is not None:
            self.pool.wake(sender)

    def _account_of(self, address: str) -> LocalAccount | None:
        return self.keys.account(address) if self.keys.has(address) else None


def build_services(settings: ApiSettings) -> Services:
    engine = make_engine(settings.database_url)
    migrate(engine)
    box = load_secret_box(settings.data_dir, settings.webhook_key)
    seal_clear_secrets(engine, box)  # secrets from before sealing existed (see migration 0007)
    services = Services(
        settings=settings,
        engine=engine,
        keys=KeyStore(settings.keystore_dir, settings.market_keystore_password()),
        documents=open_store(settings.data_dir),
        webhook_box=box,
        webhook_targets=settings.webhook_targets,
    )
    services.receipts  # noqa: B018 - the key is made at start, not on the first sale
    return services
