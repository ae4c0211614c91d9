"""LokOS API gateway."""
