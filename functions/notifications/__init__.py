"""Notifications: budget alerts pushed to people through SNS."""
