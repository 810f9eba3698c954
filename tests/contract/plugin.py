"""The Discord contract as a pytest plugin: every request the bot sends, in every test, is checked.

SimCord answers whatever it is sent; real Discord refuses a body outside its rules with 400 Invalid Form
Body (50035). Both of SimCord's transports (discord.py's HTTP client and its webhook adapter, which carries
interaction responses and follow-ups) funnel into `simcord.http.router.dispatch`; this plugin wraps it. A
request is checked against Discord's published schema (schema.py) and documented rules (rules.py). One that
breaks a rule is answered as Discord would answer it, and the test that sent it fails at teardown, naming
the route and the rule. The terminal summary says how many requests and distinct payloads were checked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from simcord.backend.errors import BackendError
from simcord.http import router

from tests.contract.rules import check_request
from tests.contract.schema import route_of, schema_errors


@dataclass
class ContractLog:
    """What one test sent that Discord would refuse."""

    violations: list[str] = field(default_factory=list)
    refused: int = 0  # requests refused in this test

    def take(self) -> list[str]:
        """Hand over the violations seen so far (a test that provokes one on purpose takes it); the summary
        then counts those requests as provoked, not refused."""
        taken, self.violations = self.violations, []
        TOTALS.refused -= self.refused
        TOTALS.provoked += self.refused
        self.refused = 0
        return taken


@dataclass
class Totals:
    requests: int = 0
    refused: int = 0
    provoked: int = 0  # refused on purpose by a test that checks the refusal itself
    payloads: set[bytes] = field(default_factory=set)
    routes: set[str] = field(default_factory=set)


TOTALS = Totals()
# Payloads already found within the rules (checking the same body again finds the same). Interaction
# callbacks are left out: whether a callback type is allowed depends on the interaction, not the body.
CONFORMING: set[bytes] = set()


def route_is_interaction(path: str) -> bool:
    return path.startswith("/interactions/")


def problems_with(backend: Any, method: str, path: str, body: Any, files: list[Any]) -> list[str]:
    """Every rule of Discord's that this request breaks."""
    interaction_type = None
    parts = path.strip("/").split("/")
    if parts[0] == "interactions" and len(parts) >= 2 and parts[1].isdigit():
        record = backend.interactions.get(int(parts[1]))
        interaction_type = getattr(record, "type", None)
    problems = schema_errors(method, path, body)
    problems += check_request(method, path, body, files=files, interaction_type=interaction_type)
    return problems


def _note(method: str, path: str, body: Any) -> bytes | None:
    """Count the request; return its payload's digest (None without a body)."""
    route = route_of(method, path)
    template = route.template if route else path
    TOTALS.requests += 1
    TOTALS.routes.add(f"{method} {template}")
    if body is None:
        return None
    text = json.dumps(body, sort_keys=True, default=str).encode()
    digest = hashlib.blake2b(f"{method} {template} ".encode() + text, digest_size=16).digest()
    TOTALS.payloads.add(digest)
    return digest


@pytest.fixture(autouse=True)
def discord_contract(monkeypatch: pytest.MonkeyPatch) -> Iterator[ContractLog]:
    """Check every request of this test against Discord's rules; fail the test if one breaks them."""
    log = ContractLog()
    dispatch = router.dispatch

    def checked(backend: Any, method: str, path: str, *, json: Any = None, files: Any = None, **kwargs: Any) -> Any:
        digest = _note(method, path, json)
        if digest in CONFORMING and not files:
            return dispatch(backend, method, path, json=json, files=files, **kwargs)
        problems = problems_with(backend, method, path, json, list(files or []))
        if problems:
            TOTALS.refused += 1
            log.refused += 1
            log.violations += problems
            raise BackendError(400, 50035, "Invalid Form Body")
        if digest is not None and not route_is_interaction(path):
            CONFORMING.add(digest)
        return dispatch(backend, method, path, json=json, files=files, **kwargs)

    monkeypatch.setattr(router, "dispatch", checked)
    yield log
    if log.violations:
        listed = "\n  ".join(log.violations)
        pytest.fail(f"Discord would refuse {len(log.violations)} request part(s) this test sent:\n  {listed}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TOTALS.requests:
        terminalreporter.write_line(
            f"Discord contract: {TOTALS.requests} requests checked, {len(TOTALS.payloads)} distinct payloads "
            f"on {len(TOTALS.routes)} routes, {TOTALS.refused} refused"
            + (f" ({TOTALS.provoked} more refused on purpose by tests of the refusal)" if TOTALS.provoked else "")
        )
