"""API settings, validated once at startup: the core's (:class:`ledger.settings.LedgerSettings`:
environment, data directory, chain, database, keystore password) and the API's own
(pydantic-settings, ``FRESHLEDGER_`` prefix).

| variable | default |
|---|---|
| FRESHLEDGER_API_HOST / FRESHLEDGER_API_PORT | 127.0.0.1 / 8000 |
| FRESHLEDGER_PUBLIC_HOST | the API's own host:port (the host printed in QR codes) |
| FRESHLEDGER_PUBLIC_SCHEME | https (http for a local demo host) |
| FRESHLEDGER_KEYSTORE_PASSWORD | required outside development: unlocks the participants' keystores |
| FRESHLEDGER_MARKET_TIMEZONE | Asia/Shanghai |
| FRESHLEDGER_RECEIPT_KEY | key of the receipts' rating proofs (32+ characters); default: data dir's receipt.key |
| FRESHLEDGER_WEBHOOK_ALLOW | none: host names and CIDR blocks webhooks may target besides public addresses |
| FRESHLEDGER_WEBHOOK_KEY | ``<data dir>/webhook.key``, made on first start: the Fernet key sealing webhook secrets |

| FRESHLEDGER_QUEUE_SUBMITTERS | true: this process runs write-queue submitters (false: `freshledger submit` does) |
| FRESHLEDGER_QUEUE_WAIT_S | 60: how long a write waits for mining before answering 202 |
| FRESHLEDGER_QUEUE_MAX_IN_FLIGHT | 32: transactions of one sender sent and not yet mined |
| FRESHLEDGER_QUEUE_GROUP_WINDOW_S | 0.2: a sender's next transaction waits this long after one in flight |
| FRESHLEDGER_ROLE_CACHE_S | 0: seconds a participant's roles read from the chain are reused |
| FRESHLEDGER_ROLE_CACHE_STALE_S | 600: while the node is down, roles read this long ago still count |
| FRESHLEDGER_WORKBENCH_IDLE_S | 1800: a workbench session ends after this long without a request |
| FRESHLEDGER_WORKBENCH_ABSOLUTE_S | 43200: and this long after its sign-in, whatever happens |
| FRESHLEDGER_KIOSK_IDLE_S | 60: seconds without a tap before the touchscreen returns to its start |
| FRESHLEDGER_SCAN_FLAG_NETWORKS / _WINDOW_S | 5 / 3600: that many networks within seconds flag a receipt as copied |
| FRESHLEDGER_SCAN_FLUSH_S / _RETENTION_S | 2 / 604800: receipt scans' batched writes; how long networks are kept |
| FRESHLEDGER_SCAN_CACHE_MB | 64: megabytes of rendered scan answers each worker keeps, and its host's workers share |
| FRESHLEDGER_SCAN_CACHE_SHARED | true: the workers share their answers in `scan-answers.sqlite` in the data directory |
| FRESHLEDGER_SCAN_FAST_PATH | true: cached scans and their 304s are answered ahead of FastAPI |

Request body limits and timeouts have their own variables: see :mod:`api.limits`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from api.limits import BodyLimits
from ledger.digital_link import DigitalLink, build_uri
from ledger.errors import ConfigurationError
from ledger.notify.targets import TargetPolicy
from ledger.settings import DEVELOPMENT_PASSWORD, LedgerSettings

__all__ = ["DEVELOPMENT_PASSWORD", "ApiSettings"]


class ApiSettings(LedgerSettings):
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_host: str | None = None
    public_scheme: Literal["https", "http"] = "https"
    #: The market's time zone, for the dates printed on labels and pages.
    market_timezone: str = "Asia/Shanghai"
    #: Seconds without a tap before the touchscreen (``/kiosk``) returns to its start screen.
    kiosk_idle_s: int = Field(default=60, ge=5, le=3600)
    #: Gas money the authority sends a participant whose key the market creates, so that it
    #: can pay for its transactions (0 on a chain without gas fees).
    participant_funding_wei: int = 10**18
    #: The key of the rating proofs printed on receipts (api.receipts); unset: the data
    #: directory's ``receipt.key``, made on first use. Several API hosts must share one.
    receipt_key: SecretStr | None = Field(default=None, min_length=32)
    #: Host names and CIDR blocks webhooks may target besides public unicast addresses
    #: (comma-separated; for a market whose stalls' servers are on a private network).
    webhook_allow: str = ""
    #: Fernet key(s) sealing webhook secrets; unset: ``<data dir>/webhook.key``.
    webhook_key: str | None = Field(default=None, repr=False)
    #: How large and how slow a request body may be (``FRESHLEDGER_MAX_*_BYTES`` and friends).
    limits: BodyLimits = Field(default_factory=BodyLimits)
    #: Run the write queue's submitters in this process: every API worker competes for the
    #: senders' locks, so each sender has one. False when ``freshledger submit`` runs them.
    queue_submitters: bool = True
    #: A write answers once mined; after this long it answers 202 with the intent to follow.
    queue_wait_s: float = Field(60.0, ge=0)
    queue_max_in_flight: int = Field(32, ge=1, le=1024)
    #: Group commit: while a sender's transaction is in flight, its next is sent at most this
    #: often with all that queued meanwhile (keep it well under the chain's block time).
    queue_group_window_s: float = Field(0.2, ge=0, le=60)
    #: A sender's oldest transaction not mined this many blocks after it became the oldest is
    #: replaced with higher fees (0: never); a replacement raises tip and fee cap by this percent.
    queue_bump_after_blocks: int = Field(3, ge=0)
    queue_bump_percent: int = Field(12, ge=10, le=1000)
    #: A mined transaction is watched this many blocks for a reorganisation that drops it (it
    #: is then sent again; ``ledger.intents.reorgs``); 0 on a chain whose blocks are final.
    queue_reorg_watch_blocks: int = Field(12, ge=0, le=10_000)
    #: Roles read from the chain (and the owner of an API key) are reused this long by the
    #: API's permission checks (the contract checks every transaction anyway; a revoked key
    #: is refused at most this long after; 0 asks on every request).
    role_cache_s: float = Field(0.0, ge=0)
    #: While the node does not answer, roles read up to this long ago let writes be queued.
    role_cache_stale_s: float = Field(600.0, ge=0)
    #: A workbench session ends after this long without a request, and this long after sign-in.
    workbench_idle_s: float = Field(30 * 60.0, gt=0)
    workbench_absolute_s: float = Field(12 * 3600.0, gt=0)
    #: Megabytes of rendered scan answers each API worker keeps (:mod:`api.scan_cache`).
    scan_cache_mb: int = Field(64, ge=0)
    #: The host's workers share the answers they made through a SQLite file in the data
    #: directory (:mod:`api.shared_answers`); off (a data directory on a network file
    #: system, where SQLite's locks do not hold), each makes its own.
    scan_cache_shared: bool = True
    #: Answer cached scans and their 304s ahead of FastAPI (:mod:`api.scan_fast_path`); off,
    #: every scan goes through the resolver route (the same answers, at a higher cost).
    scan_fast_path: bool = True
    #: Answer plain ``POST /sales`` without FastAPI's routing and dependencies
    #: (:mod:`api.sale_fast_path`); off, every sale goes through its route (the same answers).
    sale_fast_path: bool = True

    #: A receipt is flagged as possibly copied once this many different networks (an IPv4 /24,
    #: an IPv6 /48) first scanned it within ``scan_flag_window_s`` seconds: a shopper's own
    #: phone moves between home, mobile and market Wi-Fi, a copy posted on a stack of boxes
    #: is scanned by strangers.
    scan_flag_networks: int = Field(5, ge=2)
    scan_flag_window_s: int = Field(3600, ge=1)
    #: Scan counts wait in memory this long before one batched write.
    scan_flush_s: float = Field(2.0, gt=0, le=300)
    #: Which networks scanned a receipt is kept this long after their last scan, then deleted
    #: (the totals, which name no network, stay).
    scan_retention_s: int = Field(7 * 86400, ge=60)

    @model_validator(mode="after")
    def _fill_and_check(self) -> ApiSettings:
        if self.scan_retention_s < self.scan_flag_window_s:
            raise ValueError("scan_retention_s must be at least scan_flag_window_s (the flag needs the window's scans)")
        try:  # refused at startup rather than at the first signature
            self.market_keystore_password()
        except ConfigurationError as exc:
            raise ValueError(str(exc)) from None
        TargetPolicy.parse(self.webhook_allow)  # a wrong entry stops the start, naming it
        if self.public_host is None:
            self.public_host = f"{self.api_host}:{self.api_port}"
        return self

    @property
    def webhook_targets(self) -> TargetPolicy:
        return TargetPolicy.parse(self.webhook_allow)

    def digital_link_uri(self, link: DigitalLink) -> str:
        """The GS1 Digital Link URI of `link` on the public host (what a QR code carries)."""
        return build_uri(self.public_host or "", link, scheme=self.public_scheme)

    def public_url(self, path: str) -> str:
        """An absolute URL on the public host (what QR codes and links carry)."""
        return f"{self.public_scheme}://{self.public_host}{path}"
