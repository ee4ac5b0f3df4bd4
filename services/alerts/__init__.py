"""Saved searches: match indexed articles against them and deliver the matches (queue `alerts`)."""
