"""The package's imports run downwards only: no cycle, no upward import, no private name shared.

The import graph is read with ``ast`` from every module of ``leo_assets`` (and of ``benchmarks``
and ``scripts``, which sit above it), counting imports inside functions too: an import deferred
into a function still ties the two modules together. ``LAYERS`` is the one table of who sits
where (README, "How it is laid out", draws it); a module may import its own layer or any layer
below, never one above, and the graph must have no cycle. The checks are plain functions of a
graph, so the test also shows them failing on a planted upward import and a planted loop.
"""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "leo_assets"

# Bottom to top. A module belongs to the longest prefix listed (a package name covers its modules).
LAYERS: dict[str, int] = {
    # 0 configuration: imports no leo_assets module
    "leo_assets": 0,  # the package's __init__ (empty)
    "leo_assets.settings": 0,
    # 1 the SQL project: parse, header, dialects, sources, load, compile (models and checks)
    "leo_assets.sqlproject": 1,
    # 2 engines: the workspace database (DDL, build-check-swap, redaction), disclosure control,
    #   the synthetic source generator
    "leo_assets.resources": 2,
    "leo_assets.disclosure": 2,
    "leo_assets.synthetic": 2,
    # 3 Dagster wiring: assets, checks, diagnostics as asset checks, outputs, staleness, definitions
    "leo_assets.checks": 3,
    "leo_assets.assets": 3,
    "leo_assets.diagnostics": 3,
    "leo_assets.outputs": 3,
    "leo_assets.staleness": 3,
    "leo_assets.definitions": 3,
    # 4 command line, exports and tools that read a built workspace
    "leo_assets.build": 4,
    "leo_assets.cli": 4,
    "leo_assets.render": 4,
    "leo_assets.exports": 4,
    "leo_assets.calibration": 4,
    # 5 above the package
    "benchmarks": 5,
    "scripts": 5,
}
# modules of layer 0 import nothing of the package at all
LEAF_LAYER = 0
# modules that may import project modules inside functions, and why (never to dodge a loop: the
# graph counts these imports like any other)
DEFERRED_IMPORTS = {
    "leo_assets.cli": "start-up time: a subcommand imports Dagster and the engines only when run",
    "benchmarks.run": "measures each phase's imports with the phase",
}


def layer_of(module: str, layers: dict[str, int] = LAYERS) -> int:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in layers:
            return layers[prefix]
    raise KeyError(f"{module}: not in the layer table of test_layers.py; give it a layer")


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def scan(
    module: str, source: str, modules: set[str], is_package: bool = False
) -> tuple[set[str], list[str], set[str]]:
    """(project modules ``module`` imports, private names of other modules it uses, project
    modules it imports inside a function or block) from its source."""
    tree = ast.parse(source)
    top_level = {id(node) for node in tree.body}
    imports: set[str] = set()
    private: list[str] = []
    deferred: set[str] = set()
    aliases: dict[str, str] = {}  # local name -> project module it is bound to

    def known(name: str) -> str | None:
        # the longest importable prefix: `from a.b import c` may name module a.b.c or a name in a.b
        parts = name.split(".")
        for n in range(len(parts), 0, -1):
            if ".".join(parts[:n]) in modules:
                return ".".join(parts[:n])
        return None

    for node in ast.walk(tree):  # every import, at module level or inside a function
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
            for alias in node.names:
                if alias.asname and alias.name in modules:
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node)
            targets = [f"{base}.{alias.name}" for alias in node.names]
            for alias in node.names:
                if alias.name.startswith("_") and known(base) and known(base) != module:
                    private.append(f"{base}.{alias.name}")
                if f"{base}.{alias.name}" in modules:
                    aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
        else:
            continue
        for target in targets:
            found = known(target)
            if found and found != module:
                imports.add(found)
                if id(node) not in top_level:
                    deferred.add(found)
    for node in ast.walk(tree):  # module._name: a private name reached through its module
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            private.append(f"{aliases[node.value.id]}.{node.attr}")
    return imports, private, deferred


def import_graph() -> tuple[dict[str, set[str]], list[tuple[str, str]], set[tuple[str, str]]]:
    """(module -> project modules it imports, [(module, private name of another it uses)],
    {(module, project module imported inside a function)})."""
    files = sorted((ROOT / PACKAGE).rglob("*.py"))
    files += sorted((ROOT / "benchmarks").rglob("*.py")) + sorted((ROOT / "scripts").rglob("*.py"))
    paths = {_module_name(f): f for f in files}
    graph: dict[str, set[str]] = {}
    private: list[tuple[str, str]] = []
    deferred: set[tuple[str, str]] = set()
    for module, path in paths.items():
        source = path.read_text(encoding="utf-8")
        imports, used, inner = scan(module, source, set(paths), path.name == "__init__.py")
        graph[module] = imports
        private += [(module, name) for name in used]
        deferred |= {(module, target) for target in inner}
    return graph, private, deferred


def upward_imports(graph: dict[str, set[str]], layers: dict[str, int] = LAYERS) -> list[str]:
    problems = []
    for module, targets in sorted(graph.items()):
        own = layer_of(module, layers)
        for target in sorted(targets):
            theirs = layer_of(target, layers)
            if own == LEAF_LAYER and target.split(".")[0] == PACKAGE and target != PACKAGE:
                problems.append(f"{module} (layer 0) imports {target}: layer 0 imports no module")
            elif theirs > own:
                problems.append(f"{module} (layer {own}) imports {target} (layer {theirs})")
    return problems


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return None


def test_every_module_has_a_layer():
    graph, _private, _deferred = import_graph()
    assert graph, "no module found"
    for module in graph:
        layer_of(module)


def test_imports_run_downwards_only():
    graph, _private, _deferred = import_graph()
    assert upward_imports(graph) == []


def test_no_import_cycle():
    graph, _private, _deferred = import_graph()
    assert cycle(graph) is None


def test_no_private_name_crosses_a_module():
    _graph, private, _deferred = import_graph()
    assert private == []


def test_no_deferred_import_of_the_project():
    """An import inside a function (or under ``if``/``try``) only where DEFERRED_IMPORTS says
    why."""
    _graph, _private, deferred = import_graph()
    assert sorted((m, t) for m, t in deferred if m not in DEFERRED_IMPORTS) == []


def test_the_checks_can_fail():
    """On a synthetic graph: a planted upward import, an import from layer 0 and a loop are
    found."""
    clean = {
        "leo_assets.settings": set(),
        "leo_assets.sqlproject.header": set(),
        "leo_assets.sqlproject.compile": {"leo_assets.sqlproject.header", "leo_assets.settings"},
        "leo_assets.resources": {"leo_assets.sqlproject.compile"},
    }
    assert upward_imports(clean) == [] and cycle(clean) is None
    planted = {m: set(t) for m, t in clean.items()}
    planted["leo_assets.sqlproject.compile"].add("leo_assets.resources")
    assert upward_imports(planted) == [
        "leo_assets.sqlproject.compile (layer 1) imports leo_assets.resources (layer 2)"
    ]
    assert cycle(planted) is not None
    planted = {m: set(t) for m, t in clean.items()}
    planted["leo_assets.settings"].add("leo_assets.sqlproject.header")
    assert upward_imports(planted) == [
        (
            "leo_assets.settings (layer 0) imports leo_assets.sqlproject.header: "
            "layer 0 imports no module"
        )
    ]
    planted = {m: set(t) for m, t in clean.items()}
    planted["leo_assets.sqlproject.header"].add("leo_assets.sqlproject.compile")
    assert upward_imports(planted) == [] and cycle(planted) is not None
    with pytest.raises(KeyError, match="leo_assets.newmodule"):
        layer_of("leo_assets.newmodule", {"leo_assets.settings": 0})


def test_the_scan_finds_private_names_and_deferred_imports():
    """On planted sources: a private name imported or reached through its module, and an import
    inside a function, are each found (relative imports resolved)."""
    modules = {"leo_assets.resources", "leo_assets.sqlproject.loader", "leo_assets.sqlproject"}
    imports, private, deferred = scan(
        "leo_assets.sqlproject.compile",
        "from .loader import _references, load_project\n"
        "from leo_assets import resources\n"
        "def f():\n"
        "    import leo_assets.resources as r\n"
        "    return resources._PASSWORDS, r.redact, resources.__name__\n",
        modules,
    )
    assert imports == {"leo_assets.sqlproject.loader", "leo_assets.resources"}
    assert private == [
        "leo_assets.sqlproject.loader._references",
        "leo_assets.resources._PASSWORDS",
    ]
    assert deferred == {"leo_assets.resources"}


def test_the_graph_reads_function_level_and_relative_imports():
    """The graph sees an import inside a function: the reason the old loop went unnoticed."""
    graph, _private, _deferred = import_graph()
    # cli imports its commands' modules inside the commands (start-up time), and they count
    assert "leo_assets.definitions" in graph["leo_assets.cli"]
    assert "leo_assets.synthetic.generator" in graph["leo_assets.synthetic"]
