"""Exception types shared across the package."""

from __future__ import annotations


class FTPropError(Exception):
    """Base class of every error raised on purpose by ftprop_exact."""


class DataError(FTPropError, ValueError):
    """Input data (a data file, an array, a targets file, a network file) is invalid.

    The message names the problem precisely: the file, the row (0-based data row and,
    for text files, the 1-based line), the column and the offending value where they
    apply. The command line turns it into exit code 2.
    """
