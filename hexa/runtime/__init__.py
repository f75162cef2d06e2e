"""The local Pulsar Functions host: runs every function of deploy/functions.yaml in one process."""
