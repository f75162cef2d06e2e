"""A function's settings, read once per instance from its Pulsar user config.

The real runtime builds a function with no constructor arguments, so ``userConfig`` (rendered
from ``deploy/functions.yaml``) is the only way to configure it.  Numbers are coerced because
``pulsar-admin --user-config`` turns JSON integers into floats (``5`` arrives as ``5.0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from shared.envelope import DEFAULT_MAX_BYTES
from shared.topics import dead_letter_topic


class UserConfig(Protocol):
    def get_user_config_value(self, key: str) -> Any: ...
    def get_function_namespace(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Settings:
    dead_letter_topic: str
    max_retries: int = 3
    """Failed deliveries of one message before it goes to the dead-letter topic."""
    retry_attempts: int = 3
    """In-process tries of a ``TransientError`` per delivery (the spec's tenacity policy)."""
    retry_wait_min_s: float = 4.0
    retry_wait_max_s: float = 10.0
    retry_multiplier: float = 1.0
    retry_jitter_s: float = 1.0
    max_event_bytes: int = DEFAULT_MAX_BYTES
    publish_timeout_s: float = 30.0

    @classmethod
    def from_context(cls, context: UserConfig) -> Settings:
        def number(key: str, default: float) -> float:
            value = context.get_user_config_value(key)
            if value is None:
                return default
            try:
                return float(value)
            except (TypeError, ValueError):
                raise ValueError(f"user config '{key}' must be a number, got {value!r}") from None

        defaults = cls(dead_letter_topic="")
        dlq = context.get_user_config_value("dead_letter_topic")
        settings = cls(
            dead_letter_topic=str(dlq)
            if dlq
            else dead_letter_topic(context.get_function_namespace().rsplit("/", 1)[-1]),
            max_retries=int(number("max_retries", defaults.max_retries)),
            retry_attempts=int(number("retry_attempts", defaults.retry_attempts)),
            retry_wait_min_s=number("retry_wait_min_s", defaults.retry_wait_min_s),
            retry_wait_max_s=number("retry_wait_max_s", defaults.retry_wait_max_s),
            retry_multiplier=number("retry_multiplier", defaults.retry_multiplier),
            retry_jitter_s=number("retry_jitter_s", defaults.retry_jitter_s),
            max_event_bytes=int(number("max_event_bytes", defaults.max_event_bytes)),
            publish_timeout_s=number("publish_timeout_s", defaults.publish_timeout_s),
        )
        if settings.max_retries < 1 or settings.retry_attempts < 1:
            raise ValueError("max_retries and retry_attempts must be at least 1")
        return settings
