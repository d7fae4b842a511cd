"""selfassess: provider self-assessment, officer visits and shared improvement plans for adult social care."""

__version__ = "0.1.0"
