"""Pure optimisation engines (no discord, no database). `engine.circles` forms peer circles; the
mentor pair matcher (now `cogs/mentorship/matching*.py`) is meant to move beside it (issue 22)."""
