"""The package version, kept in one place (read by setup.cfg and the CLI)."""

__version__ = "0.1.0"
