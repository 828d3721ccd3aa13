"""The REST API (docs/api.md): FastAPI routers per resource over the services.

Routes parse, call one service function and render; permission checks and rules live in the services.
"""
