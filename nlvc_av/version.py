"""The version of the code (the same as pyproject.toml's), in a module of its own so that any
module can name it without importing the package's ``__init__`` (which mounts the API)."""

__version__ = "0.4.0.dev0"
