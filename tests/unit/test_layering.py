"""The layers of the tree, read from the code's own imports (ast, nothing imported):

- ``lokos/`` is plumbing: it imports no service, not the gateway, not the embedded platform
  (``launcher``, ``devidp``) nor the operator's command line (``lokosctl``);
- no service imports another service;
- the gateway imports no service (it talks to them over gRPC only).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())
ABOVE_PLUMBING = ("services", "gateway", "launcher", "devidp", "lokosctl")


def _imports(folder: Path) -> list[tuple[Path, str]]:
    """(file, imported module) for every absolute import under ``folder``."""
    found: list[tuple[Path, str]] = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path, a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
    return found


def _top(module: str, depth: int = 1) -> str:
    return ".".join(module.split(".")[:depth])


def test_plumbing_imports_nothing_above_it() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, module in _imports(ROOT / "lokos")
        if _top(module) in ABOVE_PLUMBING
    ]
    assert wrong == []


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another(service: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, module in _imports(ROOT / "services" / service)
        if _top(module) == "services" and _top(module, 2) != f"services.{service}"
    ]
    assert wrong == []


def test_the_gateway_imports_no_service() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, module in _imports(ROOT / "gateway")
        if _top(module) == "services"
    ]
    assert wrong == []


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text("from services.identity import rules\nimport gateway.app\n")
    assert [m for _, m in _imports(tmp_path)] == ["services.identity", "gateway.app"]


# Where role names may be spelled out: the catalogue itself, Alembic migrations (history,
# never edited), and tests and bench scripts (they create users of named roles). Everywhere
# else names a role group of the catalogue.
def _may_name_roles(relative: str) -> bool:
    return (
        relative == "lokos/catalogue.py"
        or relative.startswith(("tests/", "bench/"))
        or "/migrations/" in relative
    )


def _role_literals(paths: list[Path]) -> list[str]:
    """``file:line: CODE`` for every string constant that is a role code of the catalogue."""
    from lokos import catalogue

    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found += [
            f"{path}:{node.lineno}: {node.value}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in catalogue.BY_CODE
        ]
    return found


def test_no_role_name_outside_the_catalogue() -> None:
    files = [
        p
        for top in sorted(ROOT.iterdir())
        if top.is_dir() and not top.name.startswith(".")
        for p in sorted(top.rglob("*.py"))
        if not _may_name_roles(p.relative_to(ROOT).as_posix())
    ]
    assert _role_literals(files) == []


def test_the_check_sees_a_role_name(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text('ALLOWED = {"BLOCK_ADMIN", "not a role"}\n')
    found = _role_literals([tmp_path / "x.py"])
    assert [f.split(": ")[-1] for f in found] == ["BLOCK_ADMIN"]
