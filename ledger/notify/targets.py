"""Where webhooks may point: public unicast addresses only, unless the operator allows more.

A webhook URL is typed by a vendor and fetched by the notifier from inside the market's
network, so without a check it reaches the database port, the cloud metadata service
(169.254.169.254) or anything else on the private side. A target is checked by the addresses
its host resolves to, not by its spelling: ``getaddrinfo`` reads ``2130706433``, ``0177.0.0.1``,
``0x7f.1`` and ``127.1`` as 127.0.0.1 (inet_aton's forms), and the check sees that. Every
address of the answer must pass (an answer mixing a public and a private address is refused
whole). IPv6 addresses that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, NAT64
``64:ff9b::/96``, 6to4 ``2002::/16``) are judged by the address they carry.

The check runs when a webhook is registered and again, by :class:`CheckedBackend`, inside
every connection the notifier opens: the backend resolves the host, checks the addresses and
connects to the checked address itself, so DNS cannot answer a public address to the check
and a private one to the connection (rebinding). TLS still verifies the certificate against
the URL's host name (SNI) and the Host header is the URL's host.

An operator running a private market sets ``FRESHLEDGER_WEBHOOK_ALLOW`` to host names and
CIDR blocks that may be targets anyway, e.g. ``hooks.internal,10.20.0.0/16``.

Example::

    policy = TargetPolicy.parse("10.20.0.0/16")
    policy.check_url("http://0x7f.1/hook")   # raises WebhookTargetRefused: 127.0.0.1 is loopback
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpcore

from ledger.errors import WebhookTargetRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_VARIABLE = "FRESHLEDGER_WEBHOOK_ALLOW"

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")
#: Special-purpose blocks (RFC 6890 and successors) that Python's flags do not all call private.
_SPECIAL: tuple[tuple[IPNetwork, str], ...] = (
    (ipaddress.ip_network("100.64.0.0/10"), "a carrier-grade NAT (shared) address"),
    (ipaddress.ip_network("0.0.0.0/8"), "a 'this network' address"),
    (ipaddress.ip_network("192.0.0.0/24"), "an IETF protocol address"),
    (ipaddress.ip_network("192.88.99.0/24"), "a 6to4 relay address"),
    (ipaddress.ip_network("198.18.0.0/15"), "a benchmarking address"),
    (ipaddress.ip_network("64:ff9b:1::/48"), "a local-use NAT64 address"),
    (ipaddress.ip_network("100::/64"), "a discard-only address"),
    (ipaddress.ip_network("2001::/23"), "an IETF protocol address"),
    (ipaddress.ip_network("2001:db8::/32"), "a documentation address"),
)


def refusal(address: IPAddress) -> str | None:
    """Why `address` may not be a webhook target (None: it is public unicast)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            inner = refusal(address.ipv4_mapped)
            return inner and f"an IPv4-mapped {inner.removeprefix('a ').removeprefix('an ')}"
        if address in _NAT64:
            inner = refusal(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
            return inner and f"a NAT64 {inner.removeprefix('a ').removeprefix('an ')}"
        if address.sixtofour is not None:
            inner = refusal(address.sixtofour)
            return inner and f"a 6to4 {inner.removeprefix('a ').removeprefix('an ')}"
        if address in _V4_COMPATIBLE and not (address.is_loopback or address.is_unspecified):
            return "an IPv4-compatible IPv6 address (deprecated)"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (this includes cloud metadata services)"
    if address.is_multicast:
        return "a multicast address"
    for network, label in _SPECIAL:
        if address.version == network.version and address in network:
            return label
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "a site-local address"
    if not address.is_global:
        return "not a public unicast address"
    return None


def _host_of(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise WebhookTargetRefused(url, "a webhook URL is an absolute http:// or https:// URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookTargetRefused(url, "the URL's port is not a number from 0 to 65535") from None
    return host, port


@dataclass(frozen=True)
class TargetPolicy:
    """Public unicast targets, plus the operator's allowed host names and networks."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, setting: str | None) -> TargetPolicy:
        """From ``FRESHLEDGER_WEBHOOK_ALLOW``'s text: comma-separated host names and CIDRs
        (a bare address is a /32 or /128). ValueError names an entry that is neither."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in (item.strip() for item in (setting or "").split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            name = entry.rstrip(".").lower()
            if "/" in name or not all(label.replace("-", "").isalnum() for label in name.split(".")):
                raise ValueError(f"{ALLOW_VARIABLE}: {entry!r} is neither a host name nor a CIDR block")
            hosts.add(name)
        return cls(frozenset(hosts), tuple(networks))

    @classmethod
    def from_environment(cls) -> TargetPolicy:
        return cls.parse(os.environ.get(ALLOW_VARIABLE))

    def _allowed(self, host: str, address: IPAddress) -> bool:
        if host in self.hosts:
            return True
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(a.version == n.version and a in n for a in candidates for n in self.networks)

    def check_addresses(self, url: str, host: str, addresses: Iterable[IPAddress]) -> None:
        """Raise :class:`WebhookTargetRefused` unless every address may be a target."""
        for address in addresses:
            reason = None if self._allowed(host, address) else refusal(address)
            if reason is not None:
                shown = host if host == str(address) else f"{host} resolves to {address}, which"
                raise WebhookTargetRefused(url, f"{shown} is {reason}")

    def resolve(self, url: str, host: str, port: int) -> list[IPAddress]:
        """The checked addresses of `host` (raises if any is refused, or if none is found)."""
        addresses = resolve(host, port)
        if not addresses:
            raise WebhookTargetRefused(url, f"{host} does not resolve to any address")
        self.check_addresses(url, host, addresses)
        return addresses

    def check_url(self, url: str) -> None:
        """At registration: refuse a URL whose host resolves to a refused address. A host
        name that does not resolve yet is let through (its DNS may come later); every
        delivery resolves and checks again."""
        host, port = _host_of(url)
        self.check_addresses(url, host, resolve(host, port))


def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses `host` resolves to, in the resolver's order ([] if it does not)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        return []
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])  # drop an IPv6 zone id
        if address not in found:
            found.append(address)
    return found


class CheckedBackend(httpcore.SyncBackend):
    """httpcore's socket backend that resolves and checks the host itself, then connects to
    the checked address: the address the policy saw is the address the socket reaches."""

    def __init__(self, policy: TargetPolicy) -> None:
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        name = host.strip("[]").rstrip(".").lower()
        (address, *_) = self.policy.resolve(f"//{host}:{port}", name, port)
        return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
