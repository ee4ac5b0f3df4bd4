"""Indexer: bulk-index enriched articles into the search alias (state `indexed`)."""
