"""Code metrics for the `gpo` package: commit call sites, import cycles, long files, long functions.

    python3 scripts/code_metrics.py [--json] [-v] [ROOT]

ROOT is the repository root (default: the parent of this script's folder); the package
examined is ROOT/gpo. Only the `.py` files under gpo/ count: a folder named `tests`,
`migrations` or `__pycache__` inside it is skipped (the repository's own tests/ and
migrations/ are outside gpo/ and never read). Standard library only; every figure comes
from `ast` or from the file's text, nothing is imported or executed.

1. Commit call sites: every `ast.Call` whose function is the name `commit` (`commit()`)
   or an attribute named `commit` on any expression (`db.session.commit()`,
   `session.commit()`, `x.commit()`). A reference without a call (`f = db.session.commit`)
   is not counted. Reported: the total, the number of files with at least one, and per
   file the count (with `-v` or `--json`, the line numbers).

2. Import cycles among gpo modules. A module is a file: `gpo/a/b.py` is `gpo.a.b`,
   `gpo/a/__init__.py` is the package `gpo.a`. Each import statement gives edges from the
   importing module:
   - `import gpo.a.b`: an edge to `gpo.a.b` only. Python also executes `gpo/__init__.py`
     and `gpo/a/__init__.py` on the way; those implicit parent-package edges are NOT
     counted (a package `__init__` would otherwise take part in every cycle through its
     submodules). A dotted name that is not a module counts as its longest prefix that is.
   - `from gpo.a import b` (and `from gpo import x`): if `gpo/a/b.py` or
     `gpo/a/b/__init__.py` exists, an edge to the submodule `gpo.a.b` only (not to the
     package `gpo.a`, whose `__init__` runs too: see above); otherwise (a name defined in
     `gpo/a/__init__.py` or `gpo/a.py`) an edge to `gpo.a`. One edge per imported name,
     duplicates merged; `from gpo.a import *` is an edge to `gpo.a`.
   - Relative imports (`from . import x`, `from ..a import y`) are resolved against the
     importing module's package first, then handled as above.
   - Imports of anything outside gpo are ignored, and so is an import of a module by itself.
   An import is "module-level" when it is not inside a `def`/`async def`/`lambda` (so
   imports in class bodies and in `if`/`try` blocks at the top are module-level: they run
   when the module is imported). Two graphs are built: module-level imports only, and all
   imports (module-level plus those inside functions). For each, the strongly connected
   components (iterative Tarjan) with more than one module are the import cycles; the report
   gives their number, the modules in each and the number of modules in cycles, and with
   `-v` the import edges inside each component with file:line.

3. Files over 400 lines: physical lines, i.e. the number of lines of the text (blank lines,
   comments and docstrings included; what `wc -l` says for a file that ends in a newline).

4. Functions over 50 lines: every `def`/`async def` node (module functions, methods, nested
   functions, each on its own: a nested function's lines also count in its parent), from
   its `lineno` (the `def` line: decorators excluded) to its `end_lineno` inclusive, more
   than 50 lines. Listed as `path:line qualified.name (N lines)`.

Exit status 0; a file that does not parse is reported and left out of every figure.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

PACKAGE = "gpo"
SKIP_DIRS = {"tests", "migrations", "__pycache__"}
FILE_LINES_LIMIT = 400
FUNCTION_LINES_LIMIT = 50


def find_modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under ROOT/gpo (skipped folders aside)."""
    modules: dict[str, Path] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS for part in rel.parts[:-1]):
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


class ImportCollector(ast.NodeVisitor):
    """Import statements of one module: (module, names, level, line, inside a function)."""

    def __init__(self) -> None:
        self.depth = 0
        self.imports: list[tuple[str, list[str], int, int, bool]] = []

    def _nested(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = _nested
    visit_AsyncFunctionDef = _nested
    visit_Lambda = _nested

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            # (module, names, level, line, in_function); names=[] means "the module itself".
            self.imports.append((alias.name, [], 0, node.lineno, self.depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        names = [alias.name for alias in node.names]
        self.imports.append((node.module or "", names, node.level, node.lineno, self.depth > 0))


def longest_module_prefix(name: str, modules: dict[str, Path]) -> str | None:
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def resolve_import(
    importer: str, is_package: bool, module: str, names: list[str], level: int, modules: dict[str, Path]
) -> set[str]:
    """The gpo modules that one import statement is an edge to (see the module docstring)."""
    if level:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        if level > len(package):  # beyond the top-level package: an ImportError
            return set()
        base = package[: len(package) - (level - 1)]
        module = ".".join(base + ([module] if module else []))
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return set()
    targets: set[str] = set()
    if not names:  # `import gpo.a.b`
        target = longest_module_prefix(module, modules)
        if target:
            targets.add(target)
        return targets
    for name in names:
        if name != "*" and f"{module}.{name}" in modules:
            targets.add(f"{module}.{name}")
        else:
            target = longest_module_prefix(module, modules)
            if target:
                targets.add(target)
    return targets


def strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit). Components with more than one node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(sorted(graph[start])))]
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph.get(succ, ())))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components, key=lambda c: (-len(c), c))


def function_spans(tree: ast.Module) -> list[tuple[int, str, int]]:
    """(line, qualified name, lines) of every def/async def, nested ones and methods included."""
    spans: list[tuple[int, str, int]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                spans.append((child.lineno, name, child.end_lineno - child.lineno + 1))
                walk(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                walk(child, prefix + child.name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return spans


def collect(root: Path) -> dict:
    modules = find_modules(root)
    commits: dict[str, list[int]] = {}
    long_files: list[dict] = []
    long_functions: list[dict] = []
    errors: list[str] = []
    edges_all: dict[tuple[str, str], list[tuple[int, bool]]] = {}
    parsed: set[str] = set()

    for name, path in modules.items():
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text, filename=rel)
        except SyntaxError as exc:
            errors.append(f"{rel}: {exc}")
            continue
        parsed.add(name)

        lines = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "commit")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "commit")
            )
        ]
        if lines:
            commits[rel] = sorted(lines)

        line_count = len(text.split("\n")) - (1 if text.endswith("\n") or not text else 0)
        if line_count > FILE_LINES_LIMIT:
            long_files.append({"path": rel, "lines": line_count})

        for line, qualname, length in function_spans(tree):
            if length > FUNCTION_LINES_LIMIT:
                long_functions.append({"path": rel, "line": line, "name": qualname, "lines": length})

        collector = ImportCollector()
        collector.visit(tree)
        is_package = path.name == "__init__.py"
        for module, names, level, line, in_function in collector.imports:
            for target in resolve_import(name, is_package, module, names, level, modules):
                if target != name:
                    edges_all.setdefault((name, target), []).append((line, in_function))

    def graph_report(module_level_only: bool) -> dict:
        graph: dict[str, set[str]] = {name: set() for name in parsed}
        edges: dict[tuple[str, str], list[int]] = {}
        for (src, dst), sites in edges_all.items():
            lines = [line for line, in_function in sites if not (module_level_only and in_function)]
            if lines and dst in graph:
                graph[src].add(dst)
                edges[(src, dst)] = lines
        components = strongly_connected_components(graph)
        cycles = []
        for component in components:
            members = set(component)
            inner = [
                {"from": src, "to": dst, "path": modules[src].relative_to(root).as_posix(), "lines": lines}
                for (src, dst), lines in sorted(edges.items())
                if src in members and dst in members
            ]
            cycles.append({"modules": component, "edges": inner})
        return {
            "edges": len(edges),
            "components": len(components),
            "modules_in_cycles": sum(len(c) for c in components),
            "cycles": cycles,
        }

    long_files.sort(key=lambda f: (-f["lines"], f["path"]))
    long_functions.sort(key=lambda f: (-f["lines"], f["path"], f["line"]))
    return {
        "root": str(root),
        "package": PACKAGE,
        "files": len(parsed),
        "parse_errors": errors,
        "commit_calls": {
            "total": sum(len(v) for v in commits.values()),
            "files": len(commits),
            "per_file": dict(sorted(commits.items())),
        },
        "import_cycles": {
            "module_level": graph_report(module_level_only=True),
            "all_imports": graph_report(module_level_only=False),
        },
        "files_over_400_lines": {"count": len(long_files), "files": long_files},
        "functions_over_50_lines": {"count": len(long_functions), "functions": long_functions},
    }


def print_report(report: dict, verbose: bool) -> None:
    out = sys.stdout.write
    out(f"gpo code metrics: {report['files']} files under {report['root']}/{report['package']}\n")
    for error in report["parse_errors"]:
        out(f"  not parsed: {error}\n")

    commits = report["commit_calls"]
    out(f"\n1. commit call sites: {commits['total']} in {commits['files']} files\n")
    for path, lines in commits["per_file"].items():
        detail = f"  lines {', '.join(map(str, lines))}" if verbose else ""
        out(f"  {path}: {len(lines)}{detail}\n")

    out("\n2. import cycles (strongly connected components of more than one module)\n")
    for key, title in (("module_level", "module-level imports only"), ("all_imports", "all imports")):
        graph = report["import_cycles"][key]
        out(
            f"  {title}: {graph['components']} components, {graph['modules_in_cycles']} modules"
            f" ({graph['edges']} import edges)\n"
        )
        for number, cycle in enumerate(graph["cycles"], 1):
            out(f"    [{number}] {len(cycle['modules'])} modules: {', '.join(cycle['modules'])}\n")
            if verbose:
                for edge in cycle["edges"]:
                    lines = ", ".join(map(str, edge["lines"]))
                    out(f"        {edge['from']} -> {edge['to']}  ({edge['path']}:{lines})\n")

    long_files = report["files_over_400_lines"]
    out(f"\n3. files over {FILE_LINES_LIMIT} lines: {long_files['count']}\n")
    for item in long_files["files"]:
        out(f"  {item['path']} ({item['lines']} lines)\n")

    long_functions = report["functions_over_50_lines"]
    out(f"\n4. functions over {FUNCTION_LINES_LIMIT} lines: {long_functions['count']}\n")
    for item in long_functions["functions"]:
        out(f"  {item['path']}:{item['line']} {item['name']} ({item['lines']} lines)\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "root",
        nargs="?",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="repository root (default: this script's repository)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the report")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="line numbers of the commit calls and of the imports inside each cycle",
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not (root / PACKAGE).is_dir():
        parser.error(f"{root / PACKAGE} is not a folder")
    report = collect(root)
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_report(report, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
