"""Standards frameworks (key questions, statements, scales) loaded from validated YAML files."""
