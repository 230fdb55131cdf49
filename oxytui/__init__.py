"""oxytui: a terminal dashboard and a fast, sturdy SSE client for OxyGent deployments."""

__version__ = "0.1.0"
