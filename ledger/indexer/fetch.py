"""Reading the chain: ``eth_getLogs`` in adaptive block ranges, and block headers.

Providers limit ``eth_getLogs`` in their own words ("query returned more than 10000
results", "range exceeds limit", "Response is too big", HTTP 413, ...). Any refusal that
reads like a size or range limit halves the range and retries; sparse ranges double it.
Raw JSON-RPC over one keep-alive HTTP connection, parsed with orjson: this is the hot path.

Example::

    fetcher = LogFetcher("http://127.0.0.1:8545", "0x5FbD...")
    logs = fetcher.logs(0, 1_000)             # the range may be split behind the scenes
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.chain.jsonrpc import JsonRpcConnection, RpcError
from ledger.errors import NodeError

#: Words providers use when a log query is too large (matched case-insensitively).
_TOO_LARGE = re.compile(
    r"more than \d+ results|too many|range|too big|too large|limit|exceed|timeout|timed out|payload|size",
    re.IGNORECASE,
)
#: HTTP statuses some providers answer an oversized query with.
_TOO_LARGE_STATUS = {413, 502, 503, 504}

#: The first range is one block: a backfill works as a pipeline (the next range is fetched
#: while this one is projected, and projected while this one is written), and a first range
#: of 16 blocks of a dense chain (~37,000 logs of the bench's 100,000) was a third of the
#: backfill with nothing to overlap; on a sparse chain the doubling reaches MAX_RANGE within
#: seventeen requests.
INITIAL_RANGE = 1
MAX_RANGE = 100_000
#: Below this many logs a range counts as sparse and the next one is twice as wide; above
#: DENSE_LOGS the next one is narrowed to about TARGET_LOGS, keeping each database
#: transaction (and the prefetch) moderate.
SPARSE_LOGS = 2_500
TARGET_LOGS = 5_000
DENSE_LOGS = 10_000


class RangeTooLarge(RpcError):
    """The node refused a log query as too large; a smaller range may pass."""


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


class JsonRpc:
    """Minimal JSON-RPC 2.0 client: single and batched calls on a keep-alive connection
    (:mod:`ledger.chain.jsonrpc`'s), with the refusals of oversized log queries named."""

    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        self.url = url
        self._http = JsonRpcConnection(url, timeout=timeout)
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, params: list[Any]) -> Any:
        body = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params})
        return _result(method, body)

    def batch(self, method: str, params_list: list[list[Any]]) -> list[Any]:
        """One HTTP request carrying ``len(params_list)`` calls of `method`; results in order."""
        if not params_list:
            return []
        first = next(self._ids)
        payload = [
            {"jsonrpc": "2.0", "id": first + i, "method": method, "params": params}
            for i, params in enumerate(params_list)
        ]
        for _ in params_list[1:]:
            next(self._ids)
        body = self._post(payload)
        if not isinstance(body, list):
            return [_result(method, body)]
        by_id = {item.get("id"): item for item in body}
        return [_result(method, by_id.get(first + i, {})) for i in range(len(params_list))]

    def _post(self, payload: Any) -> Any:
        status, content = self._http.post_raw(orjson.dumps(payload))
        text = content[:200].decode(errors="replace")
        if status in _TOO_LARGE_STATUS:
            raise RangeTooLarge("eth_getLogs", status, f"HTTP {status}: {text}")
        if status >= 400:
            raise NodeError(f"{self.url} answered HTTP {status}: {text}")
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise NodeError(f"{self.url} answered with invalid JSON: {exc}") from exc


def _result(method: str, body: dict[str, Any]) -> Any:
    error = body.get("error")
    if error is None:
        if "result" not in body:
            raise RpcError(method, None, "no result in the answer")
        return body["result"]
    message = str(error.get("message", error))
    data = error.get("data")
    if data:
        message = f"{message} {data}"
    kind = RangeTooLarge if method == "eth_getLogs" and _TOO_LARGE.search(message) else RpcError
    raise kind(method, error.get("code"), message)


class LogFetcher:
    """Fetches the logs of one contract, adapting the block range to what the node accepts."""

    def __init__(
        self, rpc: JsonRpc, address: str, *, initial_range: int = INITIAL_RANGE, max_range: int = MAX_RANGE
    ) -> None:
        self.rpc = rpc
        self.address = address.lower()
        self.range = min(initial_range, max_range)
        self.max_range = max_range
        self.shrinks = 0

    def logs(self, start: int, end: int) -> list[dict[str, Any]]:
        """All logs of the contract in blocks ``start..end`` (inclusive), in chain order."""
        collected: list[dict[str, Any]] = []
        block = start
        while block <= end:
            last = min(end, block + self.range - 1)
            try:
                found = self.rpc.call(
                    "eth_getLogs", [{"address": self.address, "fromBlock": hex(block), "toBlock": hex(last)}]
                )
            except RangeTooLarge:
                if last == block:
                    raise  # a single block the node will not serve: nothing smaller to try
                self.range = max(1, (last - block + 1) // 2)
                self.shrinks += 1
                continue
            collected.extend(found)
            if len(found) < SPARSE_LOGS and last - block + 1 >= self.range:
                self.range = min(self.max_range, self.range * 2)
            elif len(found) > DENSE_LOGS:
                self.range = max(1, (last - block + 1) * TARGET_LOGS // len(found))
            block = last + 1
        return collected

    def head(self) -> int:
        return int(self.rpc.call("eth_blockNumber", []), 16)

    def headers(self, numbers: list[int]) -> list[BlockHeader]:
        """Headers of blocks `numbers` (batched); raises NodeError if the node lacks one."""
        blocks = self.rpc.batch("eth_getBlockByNumber", [[hex(n), False] for n in numbers])
        headers = []
        for number, block in zip(numbers, blocks, strict=True):
            if block is None:
                raise NodeError(f"the node has no block {number}")
            headers.append(
                BlockHeader(
                    number=int(block["number"], 16),
                    hash=block["hash"],
                    parent_hash=block["parentHash"],
                    timestamp=int(block["timestamp"], 16),
                )
            )
        return headers
