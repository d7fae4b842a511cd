"""The JSON API under /api/v1: the same scoped services and rules as the pages, for other systems."""
