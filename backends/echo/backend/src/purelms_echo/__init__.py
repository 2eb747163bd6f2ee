"""echo backend."""
