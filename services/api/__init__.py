"""The HTTP API: ingest endpoints, search endpoints, health and metrics."""
