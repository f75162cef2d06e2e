"""HexaBuilders tooling: the ``hexa`` command line, local runtime, embedded stack and deploy.

Never zipped into a function package: functions import ``shared`` only, so everything that
needs processes, servers or a terminal lives here.
"""
