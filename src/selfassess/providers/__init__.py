"""Care services (locations) and the provider organisations that run them."""
