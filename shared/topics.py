"""Topic names: ``persistent://hexabuilders/{service}/{event-category}``.

Services are the namespaces of the ``hexabuilders`` tenant, so a deployment can give each
context its own retention, quotas and permissions.
"""

from __future__ import annotations

from enum import StrEnum

TENANT = "hexabuilders"


class Service(StrEnum):
    """A namespace of the tenant: the four bounded contexts plus the notification sender."""

    PARTNER_MANAGEMENT = "partner-management"
    ONBOARDING = "onboarding"
    RECRUITMENT = "recruitment"
    CAMPAIGN_MANAGEMENT = "campaign-management"
    NOTIFICATIONS = "notifications"


def topic(service: Service | str, category: str) -> str:
    """Fully qualified topic name (functions must be configured with those, see MANUAL acks)."""
    return f"persistent://{TENANT}/{service}/{category}"


def dead_letter_topic(service: Service | str) -> str:
    """Where a service's functions put what they cannot process, with the reason attached."""
    return topic(service, "dead-letters")


def service_of(topic_name: str) -> str:
    """The namespace part of a fully qualified topic name."""
    rest = topic_name.removeprefix("persistent://").removeprefix("non-persistent://")
    parts = rest.split("/")
    if len(parts) != 3:
        raise ValueError(f"not a fully qualified topic name: {topic_name!r}")
    return parts[1]
