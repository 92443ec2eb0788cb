"""Web edge: FastAPI app, routes, templates and vendored static files."""
