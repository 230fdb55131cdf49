"""Shared test helpers (scripted HTTP server, capture loaders)."""
