"""Personal access tokens: how other systems use the API with their owner's permissions."""
