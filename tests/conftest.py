"""Shared pytest fixtures. Server fixtures (HTTP on 127.0.0.1, moto S3) live in tests/servers.py."""

pytest_plugins = ["tests.servers"]
