"""Telling people what needs them: in-app notifications and e-mail through an outbox."""
