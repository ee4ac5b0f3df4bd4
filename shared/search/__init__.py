"""The search contract: mapping, documents, index lifecycle, safe queries."""
