"""The common package: settings, store, queues, search contract, logging and metrics."""
