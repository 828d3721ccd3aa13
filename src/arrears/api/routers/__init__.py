"""One router per resource, each under PREFIX; `create_app` adds their routes to the app."""

PREFIX = "/api/v1"
