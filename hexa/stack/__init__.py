"""The embedded development stack: pulsar-lite and PostgreSQL, no Docker needed."""

from hexa.stack.broker import LiteBroker
from hexa.stack.errors import StackError
from hexa.stack.postgres import EmbeddedPostgres
from hexa.stack.stack import Stack, default_home

__all__ = ["EmbeddedPostgres", "LiteBroker", "Stack", "StackError", "default_home"]
