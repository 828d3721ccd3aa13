"""The collector's web workspace: server-rendered pages (Jinja2) over the services, beside the API."""
