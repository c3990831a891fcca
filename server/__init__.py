"""gradrpc server: sessions, the GradService servicer, lifecycle and CLI."""
