"""What the pinned release's worker answers for the settings it refuses for Python, recorded
against a real worker, and ``hexa deploy`` refusing the same before any request.

Each refused config is the project's rendered config with one change
(``tests/unit/test_deploy_validate.py::REFUSAL_PATCHES``), sent to the REST API in a tenant of
its own so that the deploy tests' ``--prune`` never sees these functions.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hexa.deploy import DeployError
from hexa.deploy.admin import AdminError, PulsarAdmin
from hexa.deploy.plan import Action, apply, ensure_namespaces, make_plan
from hexa.deploy.render import function_config
from hexa.deploy.validate import PYTHON_REFUSALS, Refusal, python_refusals
from hexa.deployment import FunctionSpec, SubscriptionType, load
from tests.unit.test_deploy_validate import REFUSAL_PATCHES, patched

pytestmark = pytest.mark.conformance

TENANT, NAMESPACE = "conformance", "refusals"


@pytest.fixture(scope="module")
def spec() -> FunctionSpec:
    return load().get("recruitment-recruitment-requested")


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Any zip does: the worker stores the code without looking into it."""
    path = tmp_path_factory.mktemp("pkg") / "refusal.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("refusal/src/m.py", "def process(x):\n    return x\n")
    return path


@pytest.fixture
def scratch(admin: PulsarAdmin) -> Iterator[PulsarAdmin]:
    ensure_namespaces(admin, {(TENANT, NAMESPACE)})
    yield admin
    for name in admin.list_functions(TENANT, NAMESPACE):
        admin.delete_function(TENANT, NAMESPACE, name)


def _config(spec: FunctionSpec, name: str, patch: dict[str, Any] | None = None) -> dict[str, Any]:
    config = function_config(spec, "")
    config.pop("py")
    config |= {"tenant": TENANT, "namespace": NAMESPACE, "name": name}
    return patched(config, patch or {})


@pytest.mark.parametrize("refusal", PYTHON_REFUSALS, ids=lambda r: r.setting)
def test_the_worker_refuses_what_validate_refuses(
    scratch: PulsarAdmin, spec: FunctionSpec, package: Path, refusal: Refusal
) -> None:
    config = _config(spec, "refused", REFUSAL_PATCHES[refusal.setting])
    assert python_refusals(config) == [refusal]
    with pytest.raises(AdminError) as caught:
        scratch.create_function(config, package)
    assert caught.value.status == 400
    assert f"HTTP 400: {refusal.worker_reason}" in str(caught.value)
    assert "refused" not in scratch.list_functions(TENANT, NAMESPACE)


def test_key_shared_is_accepted_and_stored(
    scratch: PulsarAdmin, spec: FunctionSpec, package: Path
) -> None:
    """Some 3.x releases refused retainKeyOrdering for Python; this one stores it."""
    key_shared = spec.model_copy(update={"subscription_type": SubscriptionType.KEY_SHARED})
    config = _config(key_shared, "key-shared")
    assert python_refusals(config) == []
    scratch.create_function(config, package)
    live = scratch.get_function(TENANT, NAMESPACE, "key-shared")
    assert live is not None
    assert (live["retainKeyOrdering"], live["retainOrdering"]) == (True, False)


def test_python_instances_do_not_start_here(
    scratch: PulsarAdmin, spec: FunctionSpec, package: Path
) -> None:
    """The worker accepts the function and schedules one instance, which cannot run: the
    Python instance files are not published on Maven Central."""
    scratch.create_function(_config(spec, "stored"), package)
    deadline = time.monotonic() + 30
    while (report := scratch.function_status(TENANT, NAMESPACE, "stored"))["numInstances"] < 1:
        assert time.monotonic() < deadline, f"never scheduled: {report}"
        time.sleep(0.2)
    assert report["numInstances"] == 1
    assert report["numRunning"] == 0


def test_an_immutable_change_is_refused_by_the_worker_and_before_any_request_by_apply(
    scratch: PulsarAdmin, spec: FunctionSpec, package: Path
) -> None:
    scratch.create_function(_config(spec, "immutable"), package)
    with pytest.raises(AdminError, match="HTTP 400: Subscription Name cannot be altered"):
        scratch.update_function(_config(spec, "immutable", {"subName": "another"}), None)

    where = {"tenant": TENANT, "namespace": NAMESPACE, "name": "immutable"}
    moved = spec.model_copy(update={**where, "subscription_name": "another"})
    deployment = load().model_copy(update={"functions": [moved]})
    plan = make_plan(deployment, scratch, {"immutable": ""})
    [update] = plan.of(Action.UPDATE)
    assert "subName" in update.immutable
    sent: list[str] = []

    class Recording(PulsarAdmin):
        def request(self, method: str, path: str, *args: Any, **kwargs: Any) -> bytes:
            sent.append(method)
            return super().request(method, path, *args, **kwargs)

    with pytest.raises(DeployError, match="Subscription Name cannot be altered by an update"):
        apply(plan, Recording(scratch.settings), lambda s: package, prune=False, echo=print)
    assert sent == []
