"""The IPFS RPC API address, as kubo writes it (a multiaddr) or as a URL.

>>> api_url("/ip4/127.0.0.1/tcp/5001/http")
'http://127.0.0.1:5001'
>>> api_url("http://127.0.0.1:5001/")
'http://127.0.0.1:5001'
>>> api_multiaddr("http://localhost:5001")
'/dns/localhost/tcp/5001/http'
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ledger.errors import ConfigurationError

_HOST_PROTOCOLS = {"ip4", "ip6", "dns", "dns4", "dns6"}


def api_url(address: str) -> str:
    """The base URL (``scheme://host:port``) of the RPC API at `address`.

    `address` is a URL (``http://127.0.0.1:5001``) or a multiaddr
    (``/ip4/127.0.0.1/tcp/5001``, optionally ending in ``/http`` or ``/https``; ``/ip6``,
    ``/dns``, ``/dns4``, ``/dns6`` hosts too). Raises :class:`ConfigurationError` otherwise.
    """
    address = address.strip()
    if address.startswith("/"):
        return _from_multiaddr(address)
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
        raise ConfigurationError(f"IPFS API address {address!r}: expected http://HOST:PORT or /ip4/HOST/tcp/PORT")
    return f"{parts.scheme}://{parts.netloc}"


def _from_multiaddr(address: str) -> str:
    parts = address.strip("/").split("/")
    scheme = "http"
    if parts and parts[-1] in ("http", "https"):
        scheme = parts.pop()
    if len(parts) != 4 or parts[0] not in _HOST_PROTOCOLS or parts[2] != "tcp" or not parts[3].isdigit():
        raise ConfigurationError(
            f"IPFS API multiaddr {address!r}: expected /ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT[/http|/https]"
        )
    host = f"[{parts[1]}]" if parts[0] == "ip6" else parts[1]
    return f"{scheme}://{host}:{parts[3]}"


def api_multiaddr(address: str) -> str:
    """The RPC API at `address` (as :func:`api_url` takes it) as the multiaddr ipfshttpclient
    takes: ``/ip4|ip6|dns/HOST/tcp/PORT/http|https``."""
    parts = urlsplit(api_url(address))
    host = parts.hostname or ""
    try:
        kind = f"ip{ipaddress.ip_address(host).version}"
    except ValueError:
        kind = "dns"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"/{kind}/{host}/tcp/{port}/{parts.scheme}"
