"""The embedded platform: PostgreSQL, NATS, the development identity provider and every
service as supervised processes on one machine (``lokos up``)."""
