"""Onboarding: contract drafts and employment contracts."""
