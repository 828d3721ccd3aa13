"""No two modules of `arrears` import each other, directly or through others.

The layers contract of import-linter only sees imports between packages; a circle inside one
package (a command module importing the app back from the module that imports it) passes it, and
works or breaks depending on which module Python happens to load first. This builds the import
graph with grimp (import-linter's engine), imports under TYPE_CHECKING included, and names every
circle with the line of each import in it.
"""

from __future__ import annotations

from collections import deque
from itertools import pairwise

import grimp

Graph = dict[str, set[str]]


def _import_graph() -> tuple[grimp.ImportGraph, Graph]:
    graph = grimp.build_graph("arrears", cache_dir=None)
    return graph, {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}


def _tangles(imports: Graph) -> list[set[str]]:
    """The strongly connected groups of more than one module (Tarjan), each a set of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(imports[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(group)

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return found


def _circle(imports: Graph, group: set[str]) -> list[str]:
    """One shortest way round the group, from its first module (by name) back to itself."""
    start = min(group)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for imported in sorted(imports[module] & group):
            if imported == start:
                path = [module]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if imported not in came_from:
                came_from[imported] = module
                queue.append(imported)
    raise AssertionError(f"no way round {sorted(group)}")


def _described(graph: grimp.ImportGraph, circle: list[str]) -> str:
    steps = []
    for importer, imported in pairwise(circle):
        details = graph.get_import_details(importer=importer, imported=imported)
        lines = sorted({detail["line_number"] for detail in details})
        steps.append(f"{importer} (line {', '.join(map(str, lines))})")
    return " -> ".join([*steps, circle[-1]])


def test_tangles_finds_a_circle_and_names_its_way_round() -> None:
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}

    groups = _tangles(imports)

    assert groups == [{"a", "b", "c"}]
    assert _circle(imports, groups[0]) == ["a", "b", "c", "a"]


def test_no_module_of_the_package_imports_itself_back_through_others() -> None:
    graph, imports = _import_graph()

    circles = [_described(graph, _circle(imports, group)) for group in _tangles(imports)]

    assert len(imports) > 100, "the package was not found whole"
    assert not circles, "import circles:\n" + "\n".join(circles)
