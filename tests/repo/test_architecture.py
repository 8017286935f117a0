"""The layers, as import rules read from the source with ``ast``.

The tree shows the layers (docs in each package's ``__init__``); this test keeps them:

- ``integrations.common`` is the leaf: it imports nothing of ours outside itself;
- the rest of ``integrations`` imports nothing of ours outside ``integrations``;
- ``services.analytics`` is pure: no Streamlit, no clients, parsers or demo, only the leaf, the
  domain types (``integrations.models``) and the code tables (``integrations.*.codes``);
- ``services.views`` imports neither Streamlit (Altair is fine) nor the runtime;
- ``services.storage`` (the history store) imports no Streamlit and, of ours, only itself, the
  leaf, the domain types, the history's types (``services.analytics.trends``) and the one CSV
  export path (``services.views.export``); views and analytics do not import it (the runtime
  holds it);
- Streamlit is imported only by ``app.py``, ``pages``, ``services.runtime`` and ``services.web``
  (the ASGI entry, ``st.App``);
- nothing of ours imports ``services.web``: it is the top, where uvicorn starts;
- Streamlit's private API (``streamlit.runtime``, ``streamlit.elements``, any ``_`` name) only by
  ``services.runtime.streamlit_private``;
- pages reach upstreams through the services: of ``integrations`` they import only the leaf
  and the domain types;
- no import cycles among our modules;
- ``bench`` imports of ``tests`` only the support package, and only its public names.

A failure names the module and the import that breaks a rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

from tests.support.apps import ROOT

APP_CODE = ("app.py", "pages", "services", "integrations")
OURS = ("app", "pages", "services", "integrations")
ADAPTER = "services.runtime.streamlit_private"
ANALYTICS_MAY_USE = ("integrations.common", "integrations.models")
STORAGE = "services.storage"
STORAGE_MAY_USE = (*ANALYTICS_MAY_USE, "services.analytics.trends", "services.views.export")
# Packages whose imported names are kept in the graph, so that a private one shows.
NAMES_SHOWN = ("streamlit", "tests")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_modules() -> dict[str, Path]:
    paths = [ROOT / "app.py"]
    for folder in APP_CODE[1:]:
        paths += sorted((ROOT / folder).rglob("*.py"))
    return {module_name(path): path for path in paths}


def imports_of(source: str, known: Iterable[str]) -> set[str]:
    """Every module a source imports (at any depth of the file: a lazy import counts), as a
    dotted name; ``from a import b`` is ``a.b`` when that is one of the ``known`` modules, and
    ``a.b`` for a name imported from Streamlit or the tests (so a private name shows)."""
    known = set(known)
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                shown = node.module.split(".")[0] in NAMES_SHOWN
                found.add(dotted if dotted in known or shown else node.module)
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def ours(module: str) -> bool:
    return module.split(".")[0] in OURS


def private_streamlit(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "streamlit" and (
        parts[1:2] in (["runtime"], ["elements"]) or any(p.startswith("_") for p in parts)
    )


def rule_broken(importer: str, imported: str) -> str | None:
    """Which rule ``importer`` breaks by importing ``imported``, if any."""
    streamlit = within(imported, "streamlit")
    if private_streamlit(imported) and importer != ADAPTER:
        return f"Streamlit's private API only in {ADAPTER}"
    if streamlit and not (
        importer == "app"
        or within(importer, "pages")
        or within(importer, "services.runtime")
        or within(importer, "services.web")
    ):
        return "Streamlit only in app.py, pages, services.runtime and services.web"
    if within(imported, "services.web") and not within(importer, "services.web"):
        return "nothing of ours imports services.web, the ASGI entry"
    if within(importer, "integrations.common"):
        if ours(imported) and not within(imported, "integrations.common"):
            return "integrations.common is the leaf: nothing of ours outside it"
    elif (
        within(importer, "integrations") and ours(imported) and not within(imported, "integrations")
    ):
        return "integrations import nothing of ours above them"
    if within(importer, "services.analytics") and ours(imported):
        allowed = any(within(imported, p) for p in ANALYTICS_MAY_USE) or (
            within(imported, "integrations") and imported.endswith(".codes")
        )
        if not (allowed or within(imported, "services.analytics")):
            return "analytics use only analytics, the leaf, integrations.models and code tables"
    if within(importer, "services.views") and (
        within(imported, "services.runtime") or within(imported, "pages")
    ):
        return "views import neither the runtime nor the pages"
    if within(importer, STORAGE) and ours(imported):
        allowed = within(imported, STORAGE) or any(within(imported, p) for p in STORAGE_MAY_USE)
        if not allowed:
            return (
                "storage uses only itself, the leaf, integrations.models, the history's types "
                "and the CSV export"
            )
    if within(imported, STORAGE) and within(importer, "services.views"):
        return "views do not reach the history store (the runtime holds it)"
    if (
        within(importer, "pages")
        and within(imported, "integrations")
        and not any(within(imported, p) for p in ANALYTICS_MAY_USE)
    ):
        return "pages reach upstreams through the services"
    return None


def bench_rule_broken(imported: str) -> str | None:
    """Which rule a ``bench`` module breaks by importing ``imported``, if any."""
    if not within(imported, "tests"):
        return None
    if not within(imported, "tests.support"):
        return "bench imports of tests only tests.support"
    if any(part.startswith("_") for part in imported.split(".")):
        return "bench imports only public names of tests.support"
    return None


def bench_violations(graph: Mapping[str, set[str]]) -> list[str]:
    return [
        f"{importer} imports {imported}: {rule}"
        for importer, imported_set in sorted(graph.items())
        for imported in sorted(imported_set)
        if (rule := bench_rule_broken(imported))
    ]


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def violations(graph: Mapping[str, set[str]]) -> list[str]:
    """Every broken rule, one line each: the module, what it imports, the rule."""
    problems = [
        f"{importer} imports {imported}: {rule}"
        for importer, imported_set in sorted(graph.items())
        for imported in sorted(imported_set)
        if (rule := rule_broken(importer, imported))
    ]
    ours_only = {m: {i for i in imported if i in graph} for m, imported in graph.items()}
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(ours_only)]
    return problems


def app_graph() -> dict[str, set[str]]:
    modules = app_modules()
    return {
        name: imports_of(path.read_text(encoding="utf-8"), modules)
        for name, path in modules.items()
    }


def bench_graph() -> dict[str, set[str]]:
    return {
        module_name(path): imports_of(path.read_text(encoding="utf-8"), ())
        for path in sorted((ROOT / "bench").rglob("*.py"))
    }


def test_bench_uses_the_test_support_package_only() -> None:
    graph = bench_graph()
    assert "tests.support.plaid_double.PlaidDouble" in graph["bench.suite"]
    assert bench_violations(graph) == []


def test_planted_bench_imports_of_test_internals_are_named() -> None:
    planted = {
        "bench.suite": {
            "tests.support.plaid_double.PlaidDouble",
            "tests.support.plaid_double._sandbox_item",
            "tests.pages.test_pages",
            "streamlit.testing.v1.AppTest",
        },
    }
    assert bench_violations(planted) == [
        "bench.suite imports tests.pages.test_pages: bench imports of tests only tests.support",
        "bench.suite imports tests.support.plaid_double._sandbox_item: bench imports only "
        "public names of tests.support",
    ]


def test_the_app_keeps_its_layers() -> None:
    graph = app_graph()
    assert "services.runtime.state" in graph
    assert "integrations.common.secret" in graph
    assert violations(graph) == []


PLANTED = {
    "app": {"streamlit", "services.runtime.state"},
    "services.runtime.state": {"streamlit", "services.analytics.cards"},
    "services.analytics.cards": {"pandas", "streamlit", "integrations.models"},
    "services.analytics.credit": {"integrations.experian.codes", "integrations.plaid.client"},
    "services.views.charts": {"altair", "services.runtime.state"},
    "integrations.plaid.client": {"integrations.common.logs", "services.runtime.settings"},
    "integrations.common.logs": {"integrations.models"},
    "integrations.models": set(),
    "integrations.experian.codes": set(),
    "pages.setup": {"integrations.experian.client", "streamlit.runtime.pages_manager"},
    "services.runtime.settings": {"integrations.plaid.client"},
    "services.runtime.sharing": {"services.web.health"},
    "services.web.health": {"streamlit", "services.runtime.settings"},
    "integrations.experian.client": set(),
    "integrations.common.secret": set(),
    "services.storage.store": {"sqlalchemy", "services.runtime.vault", "services.views.export"},
    "services.views.export": set(),
    "services.views.alerts": {"services.storage.store"},
}


def test_planted_violations_are_each_named_with_their_import() -> None:
    found = violations(PLANTED)
    expected = [
        "integrations.common.logs imports integrations.models: integrations.common is the leaf",
        "integrations.plaid.client imports services.runtime.settings: integrations import "
        "nothing of ours",
        "pages.setup imports integrations.experian.client: pages reach upstreams through",
        "pages.setup imports streamlit.runtime.pages_manager: Streamlit's private API only",
        "services.analytics.cards imports streamlit: Streamlit only in app.py",
        "services.analytics.credit imports integrations.plaid.client: analytics use only",
        "services.runtime.sharing imports services.web.health: nothing of ours imports",
        "services.storage.store imports services.runtime.vault: storage uses only itself",
        "services.views.alerts imports services.storage.store: views do not reach the history",
        "services.views.charts imports services.runtime.state: views import neither",
        "import cycle: integrations.plaid.client -> services.runtime.settings",
    ]
    assert len(found) == len(expected), "\n".join(found)
    for line, start in zip(found, expected, strict=True):
        assert line.startswith(start), line


def test_a_planted_module_is_read_from_source_like_the_real_ones() -> None:
    """The parser sees lazy imports and private names, as a real module would hide them."""
    source = (
        "import streamlit as st\n"
        "def f():\n"
        "    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec\n"
        "    from services.runtime import state\n"
    )
    graph = {"services.views.figures": imports_of(source, {"services.runtime.state"})}
    assert violations(graph) == [
        "services.views.figures imports services.runtime.state: views import neither the "
        "runtime nor the pages",
        "services.views.figures imports streamlit: Streamlit only in app.py, pages, "
        "services.runtime and services.web",
        "services.views.figures imports streamlit.elements.vega_charts."
        "_convert_altair_to_vega_lite_spec: Streamlit's private API only in "
        "services.runtime.streamlit_private",
    ]


# The test side's one place for Streamlit internals, and the app adapter's own test.
TEST_ADAPTERS = ("tests.support.streamlit_internals", "tests.pages.test_streamlit_private")


def private_uses_outside(graph: Mapping[str, set[str]], allowed: Iterable[str]) -> list[str]:
    """Each import of Streamlit's private API by a module not in ``allowed``, named."""
    allowed = set(allowed)
    return [
        f"{importer} imports {imported}: Streamlit's private API only in {sorted(allowed)}"
        for importer, imported_set in sorted(graph.items())
        if importer not in allowed
        for imported in sorted(imported_set)
        if private_streamlit(imported)
    ]


def test_tests_and_bench_reach_streamlit_internals_in_one_place() -> None:
    paths = sorted((ROOT / "tests").rglob("*.py")) + sorted((ROOT / "bench").rglob("*.py"))
    graph = {module_name(p): imports_of(p.read_text(encoding="utf-8"), ()) for p in paths}
    assert any(private_streamlit(i) for i in graph["tests.support.streamlit_internals"])
    assert private_uses_outside(graph, TEST_ADAPTERS) == []
    planted = {"bench.suite": {"streamlit.runtime.scriptrunner.script_runner"}}
    assert private_uses_outside(planted, TEST_ADAPTERS) == [
        "bench.suite imports streamlit.runtime.scriptrunner.script_runner: Streamlit's private "
        f"API only in {sorted(TEST_ADAPTERS)}"
    ]
