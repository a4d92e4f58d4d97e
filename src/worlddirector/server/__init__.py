"""HTTP API and UI server (FastAPI). Thin: validate, call a service, return a typed response."""
