""" "Waiting for you": each person's work queue, counted on the home page and listed at /waiting."""
