"""Market oversight: the council's quality picture over time, where risk sits, and which services
to visit next."""
