"""A council's own settings page: it gathers settings of several slices (frameworks, visits,
actions), so it comes after them in the slice order."""
