"""The dependency direction of the README: `demo`, `bench → segments → interactions → crm`; no app imports the
demo data or the benchmarks."""

import ast
from pathlib import Path

import pytest
from django.conf import settings


def imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.append(node.module or "")
    return names


@pytest.mark.parametrize("package", ["demo", "bench"])
@pytest.mark.parametrize("app", ["crm", "interactions", "segments"])
def test_no_app_imports_the_demo_or_the_bench(app, package):
    importers = [
        str(path.relative_to(settings.BASE_DIR))
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py"))
        if any(name == package or name.startswith(f"{package}.") for name in imported_modules(path))
    ]

    assert importers == []
