"""The thin library zipped into every HexaBuilders Pulsar Function.

It may import only ``pulsar``, ``pydantic``, ``psycopg2`` and ``tenacity``: it runs inside a
real Pulsar Functions worker, where nothing of ``hexa`` (the tooling) is installed.
"""
