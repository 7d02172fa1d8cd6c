"""The package's shape: no import cycles (counting ``__init__``), no module over 500 lines,
blueprints that import no other blueprint, domain modules that know nothing of Flask."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "ozgmap"
MAX_LINES = 500
BLUEPRINTS = {"ozgmap.web.api", "ozgmap.web.ogc", "ozgmap.web.pages", "ozgmap.web.statistik",
              "ozgmap.web.write"}
#: modules of the package that may import Flask (the web layer and the app's wiring)
FLASK_ALLOWED = ("ozgmap", "ozgmap.app_services", "ozgmap.cli", "ozgmap.commands",
                 "ozgmap.web")


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of the package that *name* imports, wherever the import stands.

    ``from . import x`` counts as an import of the submodule ``x`` if there is one, else of
    the package's ``__init__``; importing a submodule does not count as importing its parent.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            subs = {f"{mod}.{a.name}" for a in node.names} & known
            out |= subs
            if len(subs) < len(node.names) and mod in known:
                out.add(mod)
    return out - {name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one module (Tarjan), as sorted lists."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))
    for v in sorted(g):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_import_graph_sees_init_and_relative_imports():
    g = graph()
    assert "ozgmap.web" in g["ozgmap"]           # create_app registers the blueprints
    assert "ozgmap.app_services" in g["ozgmap.web.api"]
    assert "ozgmap.snapshot" in g["ozgmap.coverage"]


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_blueprints_import_no_other_blueprint():
    g = graph()
    for bp in BLUEPRINTS:
        assert not (g[bp] & (BLUEPRINTS - {bp})), bp


def test_domain_knows_nothing_of_flask():
    for name, path in modules().items():
        if name in FLASK_ALLOWED or name.startswith("ozgmap.web."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                 for a in n.names}
        names |= {(n.module or "").split(".")[0] for n in ast.walk(tree)
                  if isinstance(n, ast.ImportFrom) and not n.level}
        assert not names & {"flask", "werkzeug"}, name


def test_no_module_over_500_lines():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_readme_layout_names_every_module():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):readme.index("\n## ", readme.index("## Layout"))]
    missing = []
    for name, path in modules().items():
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if "/migrations/" in rel:
            continue
        folder, file = rel.rsplit("/", 1)
        named_in_folder = f"`{folder}/`" in layout and (file == "__init__.py"
                                                         or f"`{file}`" in layout)
        if rel not in layout and not named_in_folder:
            missing.append(rel)
    assert missing == []
