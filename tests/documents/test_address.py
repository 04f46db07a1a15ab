"""The IPFS API address as a multiaddr (kubo's form) or a URL."""

from __future__ import annotations

import pytest

from ledger.documents.address import api_url
from ledger.errors import ConfigurationError


@pytest.mark.parametrize(
    ("address", "url"),
    [
        ("/ip4/127.0.0.1/tcp/5001", "http://127.0.0.1:5001"),
        ("/ip4/127.0.0.1/tcp/5001/http", "http://127.0.0.1:5001"),
        ("/ip4/10.0.0.5/tcp/443/https", "https://10.0.0.5:443"),
        ("/ip6/::1/tcp/5001/http", "http://[::1]:5001"),
        ("/dns4/ipfs.example.org/tcp/5001/https", "https://ipfs.example.org:5001"),
        ("http://127.0.0.1:5001", "http://127.0.0.1:5001"),
        ("http://127.0.0.1:5001/", "http://127.0.0.1:5001"),
        (" https://ipfs.example.org ", "https://ipfs.example.org"),
    ],
)
def test_api_url_accepts_multiaddrs_and_urls(address: str, url: str) -> None:
    assert api_url(address) == url


@pytest.mark.parametrize(
    "address",
    ["", "127.0.0.1:5001", "ftp://host:21", "http://host:5001/api/v0", "/ip4/127.0.0.1", "/ip4/1.2.3.4/udp/5001"],
)
def test_api_url_rejects_anything_else(address: str) -> None:
    with pytest.raises(ConfigurationError, match="IPFS API"):
        api_url(address)
