"""``hexa deploy``: ``deploy/functions.yaml`` onto a Pulsar functions worker.

One concept per module: ``validate`` (the YAML against the classes, the registry and what the
worker refuses for Python), ``render`` (one FunctionConfig per function), ``package`` (the zip
each function ships), ``admin`` (the REST client) and ``plan`` (diff, apply, prune, delete,
status), so that the CLI and the tests compose the same pieces.
"""

from __future__ import annotations


class DeployError(Exception):
    """A one-line reason a deploy step cannot go on; the CLI prints it as is."""
