"""``hexa deploy`` against a real functions worker: what ``pulsar-admin`` and the REST API accept,
what the worker stores, and a plan/apply loop that converges and touches only what changed.

The worker stores and reports Python functions here but cannot start their instances (see
conftest), so these tests read back configs and the function list, never processed messages.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from hexa.cli.deploy import deploy
from hexa.deploy.admin import PulsarAdmin
from hexa.deploy.package import PipWheels, Target, build, package_digest
from hexa.deploy.plan import Action, apply, diff, ensure_namespaces, make_plan
from hexa.deploy.render import function_config, render
from hexa.deployment import DEFAULT_PATH, Deployment, FunctionSpec, load
from hexa.pulsar_standalone import admin_command, write_client_conf
from hexa.stack import default_home
from tests.conformance.conftest import RealPulsar

pytestmark = pytest.mark.conformance

TARGET = Target()
TENANT = "hexabuilders"
Packager = Callable[[FunctionSpec], Path]


def _quiet(line: str) -> None:
    del line


def _digests(deployment: Deployment) -> dict[str, str]:
    return {spec.name: package_digest(spec, TARGET) for spec in deployment.functions}


def _clean(admin: PulsarAdmin) -> None:
    """No function in the tenant, and no package left that pulsar-admin would trip on."""
    for namespace in admin.namespaces(TENANT):
        ns = namespace.split("/", 1)[1]
        for name in admin.list_functions(TENANT, ns):
            admin.delete_function(TENANT, ns, name)
    for spec in load().functions:
        admin.delete_packages(spec.tenant, spec.namespace, spec.name)


def _with(deployment: Deployment, spec: FunctionSpec) -> Deployment:
    functions = [spec if f.name == spec.name else f for f in deployment.functions]
    return deployment.model_copy(update={"functions": functions})


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Packager:
    """Real packages (wheels from pip for the default target, cached under HEXA_HOME)."""
    out = tmp_path_factory.mktemp("packages")
    wheels = PipWheels(default_home() / "wheels")
    return lambda spec: build(spec, out, TARGET, wheels)


@pytest.fixture
def applied(admin: PulsarAdmin, packages: Packager) -> Deployment:
    """The project's deployment, live on the worker."""
    deployment = load()
    plan = make_plan(deployment, admin, _digests(deployment))
    apply(plan, admin, packages, prune=True, echo=_quiet)
    return deployment


def test_pulsar_admin_accepts_every_rendered_file(
    real_pulsar: RealPulsar, admin: PulsarAdmin, tmp_path: Path
) -> None:
    _clean(admin)
    deployment = load()
    digests = _digests(deployment)
    ensure_namespaces(admin, {(s.tenant, s.namespace) for s in deployment.functions})
    render(deployment, tmp_path, digests)
    wheels = PipWheels(default_home() / "wheels")
    for spec in deployment.functions:
        build(spec, tmp_path, TARGET, wheels)  # next to the YAML: `py` is relative
    conf = tmp_path / "client.conf"
    values = {"webServiceUrl": real_pulsar.admin_url}
    if real_pulsar.token:
        values |= {
            "authPlugin": "org.apache.pulsar.client.impl.auth.AuthenticationToken",
            "authParams": f"token:{real_pulsar.token}",
        }
    write_client_conf(conf, values)

    def pulsar_admin(*args: str) -> str:
        command = admin_command(default_home(), conf, args)
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    for spec in deployment.functions:
        out = pulsar_admin("functions", "create", "--function-config-file", f"{spec.name}.yaml")
        assert "Created successfully" in out
    for spec in deployment.functions:
        live = admin.get_function(spec.tenant, spec.namespace, spec.name)
        assert live is not None
        assert diff(function_config(spec, digests[spec.name]), live) == [], spec.name
    first = deployment.functions[0]
    shown = pulsar_admin("functions", "get", "--fqfn", first.fqfn)
    assert diff(function_config(first, digests[first.name]), json.loads(shown)) == []


def test_apply_creates_every_function_then_plans_nothing(
    admin: PulsarAdmin, packages: Packager
) -> None:
    _clean(admin)
    deployment = load()
    digests = _digests(deployment)
    plan = make_plan(deployment, admin, digests)
    assert plan.counts()[Action.CREATE] == len(deployment.functions) == 12
    done = apply(plan, admin, packages, prune=False, echo=_quiet)
    assert sorted(c.name for c in done.changes) == sorted(s.name for s in deployment.functions)
    for spec in deployment.functions:
        assert spec.name in admin.list_functions(spec.tenant, spec.namespace)
    again = make_plan(deployment, admin, digests)
    assert again.counts()[Action.UNCHANGED] == 12, [c.fields for c in again.changes]
    assert apply(again, admin, packages, prune=True, echo=_quiet).changes == []


def test_a_changed_field_updates_only_that_function(
    admin: PulsarAdmin, applied: Deployment, packages: Packager
) -> None:
    spec = applied.get("recruitment-recruitment-requested")
    update = {"parallelism": 2, "user_config": {"top_matches": 5}}
    changed = _with(applied, spec.model_copy(update=update))
    plan = make_plan(changed, admin, _digests(changed))
    [change] = plan.of(Action.UPDATE)
    assert change.name == spec.name
    assert {f.key for f in change.fields} == {"parallelism", "userConfig.top_matches"}
    assert len(plan.of(Action.UNCHANGED)) == 11
    done = apply(plan, admin, packages, prune=False, echo=_quiet)
    assert [c.name for c in done.changes] == [spec.name]
    live = admin.get_function(spec.tenant, spec.namespace, spec.name)
    assert live is not None
    assert live["parallelism"] == 2
    assert live["userConfig"]["top_matches"] == 5
    assert make_plan(changed, admin, _digests(changed)).counts()[Action.UNCHANGED] == 12


def test_a_code_change_uploads_a_new_package(
    admin: PulsarAdmin, applied: Deployment, packages: Packager
) -> None:
    digests = _digests(applied)
    spec = applied.functions[0]
    digests[spec.name] = "0" * 64  # what a changed source file does to the digest
    plan = make_plan(applied, admin, digests)
    [update] = plan.of(Action.UPDATE)
    assert update.code_changed
    apply(plan, admin, packages, prune=False, echo=_quiet)
    live = admin.get_function(spec.tenant, spec.namespace, spec.name)
    assert live is not None
    assert live["userConfig"]["hexa_package_digest"] == "0" * 64


def test_a_removed_entry_is_deleted_only_with_prune(
    admin: PulsarAdmin, applied: Deployment, packages: Packager
) -> None:
    gone = applied.get("notifications-budget-alert")
    smaller = applied.model_copy(
        update={"functions": [f for f in applied.functions if f.name != gone.name]}
    )
    plan = make_plan(smaller, admin, _digests(smaller))
    assert [c.fqfn for c in plan.of(Action.DELETE)] == [gone.fqfn]
    assert len(plan.of(Action.UNCHANGED)) == 11
    assert apply(plan, admin, packages, prune=False, echo=_quiet).changes == []
    assert admin.get_function(gone.tenant, gone.namespace, gone.name) is not None
    done = apply(plan, admin, packages, prune=True, echo=_quiet)
    assert [c.fqfn for c in done.changes] == [gone.fqfn]
    assert gone.name not in admin.list_functions(gone.tenant, gone.namespace)


def _pending_change(tmp_path: Path) -> Path:
    """The project file with one user-config value changed."""
    raw = yaml.safe_load(DEFAULT_PATH.read_text())
    raw["functions"][2]["user_config"] = {"top_matches": 7}
    path = tmp_path / "functions.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _top_matches(admin: PulsarAdmin) -> object:
    live = admin.get_function(TENANT, "recruitment", "recruitment-recruitment-requested")
    assert live is not None
    return live["userConfig"]["top_matches"]


def test_a_wrong_admin_url_is_one_line_and_changes_nothing(
    real_pulsar: RealPulsar, admin: PulsarAdmin, applied: Deployment, tmp_path: Path
) -> None:
    args = ["apply", "--file", str(_pending_change(tmp_path)), "--package-dir", str(tmp_path)]
    result = CliRunner().invoke(
        deploy, [*args, "--admin-url", "http://127.0.0.1:9", "--token", real_pulsar.token or ""]
    )
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: deploy_failed: cannot reach the Pulsar admin API")
    assert _top_matches(admin) == 3


def test_a_wrong_token_is_one_line_and_changes_nothing(
    real_pulsar: RealPulsar, admin: PulsarAdmin, applied: Deployment, tmp_path: Path
) -> None:
    if not real_pulsar.token:
        pytest.skip("this broker does not check tokens (PULSAR_AUTH_TOKEN unset)")
    args = ["apply", "--file", str(_pending_change(tmp_path)), "--package-dir", str(tmp_path)]
    args += ["--admin-url", real_pulsar.admin_url]
    result = CliRunner().invoke(deploy, [*args, "--token", "not.a.token"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "HTTP 401" in result.stderr
    assert "PULSAR_AUTH_TOKEN" in result.stderr
    assert _top_matches(admin) == 3
    # The same command with the right token goes through: the failure was the token's.
    result = CliRunner().invoke(deploy, [*args, "--token", real_pulsar.token])
    assert result.exit_code == 0, result.output
    assert "updated hexabuilders/recruitment/recruitment-recruitment-requested" in result.stdout
    assert _top_matches(admin) == 7
