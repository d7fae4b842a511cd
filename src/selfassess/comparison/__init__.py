"""Comparing a provider's self-assessment with the officer's scores, and how well they agree."""
