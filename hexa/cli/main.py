"""The ``hexa`` console script.

Each command group lives in its own module and joins here with one ``main.add_command`` line.
"""

from __future__ import annotations

import click

from hexa.cli import HexaGroup
from hexa.cli.bench import bench
from hexa.cli.db import db
from hexa.cli.demo import demo
from hexa.cli.deploy import deploy
from hexa.cli.dlq import dlq
from hexa.cli.docs import docs
from hexa.cli.events import events
from hexa.cli.inspect import inspect
from hexa.cli.publish import publish
from hexa.cli.pulsar import pulsar
from hexa.cli.schemas import schemas
from hexa.cli.simulate import simulate
from hexa.cli.trace import trace
from hexa.cli.up import localrun, up


@click.group(cls=HexaGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """HexaBuilders integration events on Apache Pulsar Functions."""


main.add_command(events)
main.add_command(schemas)
main.add_command(publish)
main.add_command(db)
main.add_command(up)
main.add_command(localrun)
main.add_command(simulate)
main.add_command(bench)
main.add_command(demo)
main.add_command(docs)
main.add_command(inspect)
main.add_command(trace)
main.add_command(dlq)
main.add_command(deploy)
main.add_command(pulsar)

if __name__ == "__main__":
    main()
