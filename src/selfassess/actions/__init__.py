"""Improvement actions: proposing a plan from a comparison, and how an action's status may change."""
