"""Reports: read models built only from events; dashboards and summaries."""
