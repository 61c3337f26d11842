"""Subcommands of the ``ftprop`` command line, one module each."""
