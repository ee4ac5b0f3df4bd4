"""newsflow services: each depends on `shared`, never on another service."""
