"""Imports flow one way: server/cli -> director/world -> stages -> providers/llm/storage.

A module may import from its own layer or any layer below it, never above. Shared foundations
(config, errors, logging, artifacts, bench helpers) may be imported from anywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "worlddirector"

LAYER = {
    "server": 3, "cli": 3,
    "director": 2, "world": 2,
    "analysis": 1, "reconstruction": 1, "simulation": 1, "revision": 1,
    "providers": 0, "llm": 0, "storage": 0,
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m.startswith("worlddirector.")}


def _package_files():
    for pkg, level in LAYER.items():
        for path in sorted((SRC / pkg).rglob("*.py")):
            yield pkg, level, path


def test_imports_flow_one_way():
    files = list(_package_files())
    assert len(files) > 50, "the package layout moved; update LAYER"
    bad = []
    for pkg, level, path in files:
        for mod in _imports(path):
            target = mod.split(".")[1]
            if target in LAYER and LAYER[target] > level:
                bad.append(f"{path.relative_to(SRC)} ({pkg}, layer {level}) imports {mod}")
    assert not bad, "imports against the one-way flow:\n" + "\n".join(bad)
