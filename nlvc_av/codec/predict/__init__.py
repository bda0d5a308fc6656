"""Predictions the coder builds from already-known samples: motion (block vectors, compensation)."""
