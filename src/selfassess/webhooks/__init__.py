"""Webhooks: other systems hear about the events they subscribe to, signed and retried."""
