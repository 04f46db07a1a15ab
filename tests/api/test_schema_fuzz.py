"""schemathesis against the app's own OpenAPI schema: whatever the generated requests, no
answer is a server error (5xx), with and without credentials.

schemathesis' pytest plugin does not run under pytest 9 yet, so the test walks the schema's
operations itself and drives each operation's hypothesis strategy."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.conftest import Market

EXAMPLES_PER_OPERATION = 12


def test_no_server_errors(api_market: Market, cast: dict) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_market.client.app)
    credentials = ({}, api_market.auth(cast["farm"][1]), api_market.auth(api_market.authority_key))
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
        def probe(case: schemathesis.Case) -> None:
            for headers in credentials:
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
                    )

        probe()
    assert operations >= 15
    assert failures == []
