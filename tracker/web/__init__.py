"""The web layer: FastAPI pages and the JSON API, thin over the services."""
