"""Organisations, people, roles, log-in and the audit trail."""
