"""The routes of routers, for an app to add as they are (`app.router.routes.extend(...)`).

FastAPI 0.165 includes a router (`app.include_router`) by wrapping it: on an app's first request it
builds every included route's handler again for that app (its parameters' validators and
dependencies), and every request then walks the wrappers to find its route. Added as they are, the
routes are built once, when their module is imported, shared by every app a process builds (the
test suite builds one per test), and matched by a plain walk over one list. So each router is
made with its full prefix (`/api/v1/tasks`), and none includes another. `app.dependency_overrides`
does not reach these routes (Arrears uses none)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute


def routes_of(*routers: APIRouter) -> list[BaseRoute]:
    """The routes of `routers`, in order; a router that includes another is refused, since its
    included routes would be built again for every app."""
    found: list[BaseRoute] = []
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                raise TypeError(f"{route!r} is not a plain route: add its router's routes instead")
            found.append(route)
    return found
