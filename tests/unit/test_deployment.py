"""``deploy/functions.yaml`` loads, merges defaults, and names file, line and field on errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hexa.deployment import DEFAULT_PATH, DeploymentError, load
from shared.events import REGISTRY

ENTRY = """\
defaults:
  max_retries: 3
functions:
  - name: onboarding-partner-registration
    namespace: onboarding
    class_name: functions.onboarding.partner_registration_completed.OnPartnerRegistrationCompleted
    inputs: [persistent://hexabuilders/partner-management/partner-registration]
    dead_letter_topic: persistent://hexabuilders/onboarding/dead-letters
{extra}"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "functions.yaml"
    path.write_text(text)
    return path


def test_the_real_file_loads_and_every_class_imports() -> None:
    deployment = load(DEFAULT_PATH)
    assert len(deployment.functions) == 12
    for spec in deployment.functions:
        cls = spec.load_class()
        assert REGISTRY.for_model(cls.consumes).topic in spec.inputs  # type: ignore[attr-defined]
        assert spec.max_retries == 3 and spec.negative_ack_redelivery_delay_ms == 1000
        assert spec.subscription.endswith("-service-subscription")


def test_defaults_are_merged_and_an_entry_overrides_them(tmp_path: Path) -> None:
    deployment = load(write(tmp_path, ENTRY.format(extra="    max_retries: 5\n")))
    assert deployment.functions[0].max_retries == 5
    assert load(write(tmp_path, ENTRY.format(extra=""))).functions[0].max_retries == 3


@pytest.mark.parametrize(
    ("extra", "line", "field", "message"),
    [
        ("    max_retries: many\n", 9, "functions[0].max_retries", "valid integer"),
        ("    parallelism: 0\n", 9, "functions[0].parallelism", "greater than or equal to 1"),
        ("    subscription_type: Exclusive\n", 9, "functions[0].subscription_type", "Shared"),
        ("    retries: 3\n", 9, "functions[0].retries", "Extra inputs are not permitted"),
    ],
)
def test_a_bad_entry_names_file_line_and_field(
    tmp_path: Path, extra: str, line: int, field: str, message: str
) -> None:
    path = write(tmp_path, ENTRY.format(extra=extra))
    with pytest.raises(DeploymentError) as caught:
        load(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:{line}: {field}: ")
    assert message in text and "\n" not in text


def test_a_bad_default_points_at_the_defaults_section(tmp_path: Path) -> None:
    path = write(tmp_path, ENTRY.replace("max_retries: 3", "max_retries: zero").format(extra=""))
    with pytest.raises(DeploymentError, match=rf"^{path}:2: defaults.max_retries: "):
        load(path)


def test_invalid_yaml_and_missing_file_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match=r":\d+: invalid YAML"):
        load(write(tmp_path, "functions: [\n  - name: x\n  bad"))
    with pytest.raises(DeploymentError, match="cannot read"):
        load(tmp_path / "missing.yaml")


def test_unqualified_topics_and_duplicate_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match="fully qualified"):
        load(write(tmp_path, ENTRY.format(extra="    outputs: [out]\n")))
    twice = ENTRY.format(extra="") + ENTRY.format(extra="").split("functions:\n", 1)[1]
    with pytest.raises(DeploymentError, match="used twice"):
        load(write(tmp_path, twice))
