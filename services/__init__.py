"""newsflow services: each depends on `shared`, never on another service (only the CLI, on
top, imports services; see `[tool.importlinter]` in pyproject.toml)."""
