"""Workflow engine helpers: working-time calendars and ISO 8601 durations."""
