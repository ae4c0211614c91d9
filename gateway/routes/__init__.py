"""Routers by area; each declares its request/response schemas beside it."""
