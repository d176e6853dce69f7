"""The layer contract: apicli's packages in order, no import upward or in a cycle, and no Typer in the core.

Every import counts, the lazy ones inside functions too: a lazy import still ties a lower module
to an upper one. A module may import from its own layer and from any layer below it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import apicli

PACKAGE_ROOT = Path(apicli.__file__).parent

# Lowest first. "apicli" is the top-level modules: errors, the clock, the limits, the flag table.
LAYERS = (
    "apicli",  # errors, clock, limits, signals, spec, flagtable (flagspec, flagrows), compat, startup, palette
    "apicli.formats",  # JSON, header and HTTP text, URLs, content codings: no I/O
    "apicli.inputs",  # local files, request items, secrets, the -w format
    "apicli.filters",  # jq and JSON Schema
    "apicli.output",  # the plan, the Printer, rendering, stderr messages
    "apicli.config",  # profiles from the config file
    "apicli.transport",  # the retrying session, pool, redirects, cookies, origin-bound credentials
    "apicli.auth",  # credentials fetched at run time: OAuth2 tokens, --auth-command
    "apicli.request",  # the run's Client, --until polling, -w's transfer figures
    "apicli.pagination",
    "apicli.streams",  # SSE and NDJSON records
    "apicli.downloads",
    "apicli.batch",  # apicli batch: request lines in, results out, on one shared client
    "apicli.commands",  # each command's core: exchange, --curl, the flags turned into an invocation
    "apicli.cli",  # the Typer layer
)
# Above every layer: `python -m apicli`.
ENTRY_POINTS = frozenset({"apicli.__main__"})


def layer_of(module: str) -> int:
    """The index in LAYERS of the deepest layer that holds `module`."""
    return max(index for index, layer in enumerate(LAYERS) if module == layer or module.startswith(layer + "."))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """Absolute names of the apicli modules an `from ... import ...` statement loads."""
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    names = [target] + [f"{target}.{alias.name}" for alias in node.names]
    return names


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE_ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                targets = _resolve(name, path.name == "__init__.py", node)
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(graph[node]):
            # A package's __init__ re-exporting its own submodules is not a cycle of behaviour.
            if target.startswith(node + "."):
                continue
            found = visit(target)
            if found:
                return found
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start)
        if cycle:
            return cycle
    return None


def test_the_graph_covers_every_module() -> None:
    graph = import_graph()
    assert "apicli.output.body" in graph and "apicli.commands.exchange" in graph["apicli.cli.verbs"]
    assert "apicli.output.body" in graph["apicli.commands.exchange"]


def test_no_import_cycle() -> None:
    assert _find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_core_never_imports_typer() -> None:
    for path in PACKAGE_ROOT.rglob("*.py"):
        if "cli" in path.relative_to(PACKAGE_ROOT).parts[:1]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "typer" or n.startswith("typer.") for n in names), path


def test_every_package_is_a_declared_layer() -> None:
    packages = {
        name for name in import_graph() if name.count(".") == 1 and (PACKAGE_ROOT / name.split(".")[1]).is_dir()
    }
    assert packages - set(LAYERS) == set()


def test_no_import_runs_upward() -> None:
    upward = sorted(
        f"{module} imports {target} ({LAYERS[layer_of(target)]} is above {LAYERS[layer_of(module)]})"
        for module, targets in import_graph().items()
        if module not in ENTRY_POINTS and module != "apicli"
        for target in targets
        if layer_of(target) > layer_of(module)
    )
    assert upward == []


def test_the_layer_check_tells_layers_apart() -> None:
    assert layer_of("apicli.errors") == 0
    assert layer_of("apicli.transport.session") < layer_of("apicli.request.client") < layer_of("apicli.cli.verbs")
    assert layer_of("apicli.filters.jqfilter") < layer_of("apicli.output.printer")
