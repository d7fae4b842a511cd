"""Concerns (intelligence) about services, and officers' proactive and reactive visits."""
