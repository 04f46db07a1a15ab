"""The notifier's HTTP transport: connections only to checked addresses, no body read back.

httpx's own transport resolves the host inside ``socket.create_connection``, after any check
the caller made, so a DNS answer could change between the two (rebinding). This transport
hands httpcore a :class:`~ledger.notify.targets.CheckedBackend`, which resolves, checks and
connects to the checked address in one step; TLS and the Host header keep the URL's name.
No proxy from the environment is used (a proxy would resolve the host itself), no
connection is kept alive (each delivery resolves afresh), and the answer's body is never
read: the notifier keeps the status class only.
"""

from __future__ import annotations

import httpcore
import httpx

from ledger.notify.targets import CheckedBackend, TargetPolicy


class CheckedTransport(httpx.BaseTransport):
    """An :class:`httpx.BaseTransport` that connects only where `policy` allows."""

    def __init__(self, policy: TargetPolicy, *, verify: bool | str = True) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            max_keepalive_connections=0,
            network_backend=CheckedBackend(policy),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,  # type: ignore[arg-type]
            extensions=request.extensions,
        )
        try:
            answer = self._pool.handle_request(core)
            answer.close()  # the body is never read: nothing of it is kept or shown
        except httpcore.TimeoutException as exc:
            raise httpx.TimeoutException(str(exc), request=request) from exc
        except httpcore.ConnectError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except httpcore.NetworkError as exc:
            raise httpx.NetworkError(str(exc), request=request) from exc
        except httpcore.ProtocolError as exc:
            raise httpx.ProtocolError(str(exc), request=request) from exc
        except httpcore.UnsupportedProtocol as exc:
            raise httpx.UnsupportedProtocol(str(exc), request=request) from exc
        return httpx.Response(answer.status, headers=answer.headers, request=request)

    def close(self) -> None:
        self._pool.close()
