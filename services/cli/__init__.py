"""The `newsflow` command line: the front door for ops (it may use every service)."""
