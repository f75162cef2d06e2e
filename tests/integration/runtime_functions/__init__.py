"""Tiny Pulsar Functions that exercise one runtime rule each (loaded by class name)."""
