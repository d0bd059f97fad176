"""The installed package's version (imported alone by the pages that print it)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("framelabel")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
