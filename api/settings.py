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
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from ledger.digital_link import DigitalLink, build_uri
from ledger.errors import ConfigurationError
from ledger.settings import DEVELOPMENT_PASSWORD, LedgerSettings

__all__ = ["DEVELOPMENT_PASSWORD", "ApiSettings"]


class ApiSettings(LedgerSettings):
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_host: str | None = None
    public_scheme: Literal["https", "http"] = "https"
    #: The market's time zone, for the dates printed on labels and pages.
    market_timezone: str = "Asia/Shanghai"
    #: Gas money the authority sends a participant whose key the market creates, so that it
    #: can pay for its transactions (0 on a chain without gas fees).
    participant_funding_wei: int = 10**18

    @model_validator(mode="after")
    def _fill_and_check(self) -> ApiSettings:
        try:  # refused at startup rather than at the first signature
            self.market_keystore_password()
        except ConfigurationError as exc:
            raise ValueError(str(exc)) from None
        if self.public_host is None:
            self.public_host = f"{self.api_host}:{self.api_port}"
        return self

    def digital_link_uri(self, link: DigitalLink) -> str:
        """The GS1 Digital Link URI of `link` on the public host (what a QR code carries)."""
        return build_uri(self.public_host or "", link, scheme=self.public_scheme)

    def public_url(self, path: str) -> str:
        """An absolute URL on the public host (what QR codes and links carry)."""
        return f"{self.public_scheme}://{self.public_host}{path}"
