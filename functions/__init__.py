"""HexaBuilders' Pulsar Functions: one class per handler, domain logic only."""
