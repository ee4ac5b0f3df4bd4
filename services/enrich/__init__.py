"""Enrich: language, entities, quotes, keywords, summary (state `enriched`)."""
