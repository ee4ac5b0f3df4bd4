"""Scheduler: the sweeper and other periodic jobs (Celery beat)."""
