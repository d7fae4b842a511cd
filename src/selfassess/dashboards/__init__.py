"""Home pages: what needs each person's attention now, and the council's area at a glance."""
