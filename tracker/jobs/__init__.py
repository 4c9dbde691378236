"""Scheduled jobs: plain functions that the scheduler runs and the CLI can run once."""
