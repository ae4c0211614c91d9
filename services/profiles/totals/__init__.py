"""Totals per block, for the reports' consistency check."""
