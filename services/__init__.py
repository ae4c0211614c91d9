"""LokOS services: each a separate process with its own database. They never import each other."""
