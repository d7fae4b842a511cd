"""Provider self-assessments: drafting with autosave, evidence, submission and review."""
