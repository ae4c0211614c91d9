"""Help desk: tickets from state teams worked by the national help desk, and request search
over the trace store (docs/helpdesk.md)."""
