"""Root conftest: the embedded broker and PostgreSQL fixtures for every test package."""

pytest_plugins = ["wja_cli.testing"]
