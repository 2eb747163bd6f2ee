"""purelms-runtime."""
