"""Composition root: settings, wiring, processors and the CLI."""
