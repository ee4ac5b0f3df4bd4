"""Ingest: decode, extract, clean, split title, dedupe, store (state `ingested`)."""
