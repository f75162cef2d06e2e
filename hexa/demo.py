"""The report ``hexa demo`` prints after simulating: every context's state at a glance.

Built from the same views as ``hexa inspect`` and ``hexa trace`` (no queries of its own), plus
the host's per-function counters, so the demo shows exactly what the tools show.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table

from hexa.devenv import DevEnvironment
from hexa.inspect import VIEWS, inspect
from hexa.simulate import Result
from hexa.trace import render, trace

_VIEWS = {view.name: view for view in VIEWS}


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    return table


def health(env: DevEnvironment) -> tuple[int, dict[str, Any]]:
    assert env.host is not None
    try:
        with urllib.request.urlopen(env.host.health_url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def report(env: DevEnvironment, result: Result) -> list[RenderableType]:
    db = env.stack.database_url
    partners = inspect(db, _VIEWS["partners"])["partners"]
    contracts = inspect(db, _VIEWS["contracts"])["contracts"]
    jobs = inspect(db, _VIEWS["jobs"])["jobs"]
    permissions = inspect(db, _VIEWS["campaign-permissions"])["campaign_permissions"]
    ledger = {row["consumer"]: row for row in inspect(db, _VIEWS["metrics"])["functions"]}

    by_status = Counter(p["status"] or "(none)" for p in partners)
    by_type = Counter((c["contract_type"], c["template_name"], c["activated"]) for c in contracts)
    matches = sum(len(j["matches"]) for j in jobs)
    sections: list[RenderableType] = [
        _table(
            "Partners by status",
            ["status", "partners"],
            [[status, n] for status, n in sorted(by_status.items())],
        ),
        _table(
            "Contracts",
            ["type", "template", "activated", "contracts"],
            [[t, n, "yes" if a else "no", c] for (t, n, a), c in sorted(by_type.items())],
        ),
        _table(
            f"Jobs and matches ({len(jobs)} jobs, {matches} matches)",
            ["job", "partner", "best match", "score"],
            [
                [
                    j["title"],
                    j["partner_id"][:8],
                    j["matches"][0]["candidate_name"] if j["matches"] else "-",
                    j["matches"][0]["score"] if j["matches"] else "-",
                ]
                for j in jobs[:8]
            ],
        ),
        _table(
            "Campaign permissions",
            ["switch", "partners"],
            [
                [
                    "campaign creation enabled",
                    sum(p["campaign_creation_enabled"] for p in permissions),
                ],
                ["campaigns enabled", sum(p["campaigns_enabled"] for p in permissions)],
                [
                    "validation rejected",
                    sum(p["validation_outcome"] == "REJECTED" for p in permissions),
                ],
            ],
        ),
        _function_table(env, ledger),
    ]
    dead: Counter[str] = Counter()
    for row in ledger.values():
        dead.update(row["dead_letters_by_reason"])
    sections.append(
        _table(
            "Dead letters",
            ["reason", "messages"],
            [[r, n] for r, n in sorted(dead.items())] or [["(none)", 0]],
        )
    )
    flow = _richest_flow(result)
    if flow is not None:
        sections.append(
            Panel(render(trace(db, flow)), title=f"One business flow: {flow}", title_align="left")
        )
    code, body = health(env)
    sections.append(f"/health/events: {code} {json.dumps(body, sort_keys=True)}")
    return sections


def _function_table(env: DevEnvironment, ledger: dict[str, Any]) -> Table:
    assert env.host is not None
    totals: dict[str, Counter[str]] = {}
    for instance in env.host.instances:
        status = instance.stats.status()
        counter = totals.setdefault(instance.spec.name, Counter())
        for key in (
            "numReceived",
            "numSuccessfullyProcessed",
            "numUserExceptions",
            "numSystemExceptions",
        ):
            counter[key] += int(status[key])
    rows = []
    for name, c in sorted(totals.items()):
        row = ledger.get(name, {})
        rows.append(
            [
                name,
                c["numReceived"],
                c["numSuccessfullyProcessed"],
                c["numUserExceptions"] + c["numSystemExceptions"],
                row.get("processed", 0),
                row.get("duplicates", 0),
                row.get("dead_letters", 0),
            ]
        )
    return _table(
        "Functions (Pulsar metrics and the inbox ledger)",
        ["function", "received", "processed", "exceptions", "effects", "deduped", "dead letters"],
        rows,
    )


def _richest_flow(result: Result) -> str | None:
    """A partner whose story went through recruitment and a hire: the most hops to show."""
    for partner in result.partners:
        if partner.hired and partner.alerts:
            return partner.correlation_id
    return result.partners[0].correlation_id if result.partners else None


def render_report(env: DevEnvironment, result: Result) -> Group:
    return Group(*report(env, result))
