"""Every service has one shape (issue 25): the same files, its layers enforced, SQL only in adapters,
and no logic copied between two services."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.arch.copies import pairs

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["intake", "charging", "court", "support", "insights"]
SHAPED: set[str] = {"charging", "court", "insights", "intake", "support"}
"""The services already in the shape (issue 25); a service joins when its refactor lands."""
CORE = {
    "__init__.py",
    "__main__.py",
    "bootstrap.py",
    "config.py",
    "views.py",
    "domain/__init__.py",
    "domain/model.py",
    "service_layer/__init__.py",
    "service_layer/handlers.py",
    "adapters/__init__.py",
    "adapters/repository.py",
    "entrypoints/__init__.py",
    "entrypoints/http.py",
    "entrypoints/consumers.py",
}
"""The files every service has, so a newcomer who knows one finds their way in all five."""
SQL_CALL = re.compile(r"\.(fetch|fetchrow|fetchval|execute|executemany|copy_records_to_table)\(")


def package(service: str) -> Path:
    return ROOT / "services" / service / "src" / f"wja_{service}"


def layers_contract(service: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = config["contracts"]
    (contract,) = [c for c in contracts if c.get("type") == "layers" and c["containers"] == [f"wja_{service}"]]
    return contract


def lint_imports(source_root: Path, service: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    contract = layers_contract(service)
    lines = [
        "[tool.importlinter]",
        f'root_packages = ["wja_{service}"]',
        "[[tool.importlinter.contracts]]",
        *(f"{key} = {value!r}".replace("'", '"') for key, value in contract.items()),
    ]
    config = tmp / "importlinter.toml"
    config.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    lint = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(lint), "--config", str(config), "--no-cache"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp,
        check=False,
    )


@pytest.mark.parametrize("service", SERVICES)
def test_layers_contract_holds_and_fails_on_a_planted_violation(service: str, tmp_path: Path) -> None:
    copy = tmp_path / "src"
    shutil.copytree(package(service), copy / f"wja_{service}")
    kept = lint_imports(copy, service, tmp_path)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    domain = copy / f"wja_{service}" / "domain" / "__init__.py"
    domain.write_text(domain.read_text() + f"\nimport wja_{service}.entrypoints.http  # noqa\n")
    broken = lint_imports(copy, service, tmp_path)
    assert broken.returncode != 0
    assert "BROKEN" in broken.stdout


@pytest.mark.parametrize("service", sorted(SHAPED))
def test_the_service_has_the_common_files(service: str) -> None:
    files = {str(p.relative_to(package(service))) for p in package(service).rglob("*.py")}
    assert not CORE - files, f"missing: {sorted(CORE - files)}"


@pytest.mark.parametrize("service", sorted(SHAPED))
def test_sql_only_in_adapters(service: str) -> None:
    outside = [
        f"{path.relative_to(package(service))}:{number}"
        for path in package(service).rglob("*.py")
        if "adapters" not in path.relative_to(package(service)).parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SQL_CALL.search(line)
    ]
    assert not outside, f"SQL outside adapters/: {outside}"


def test_no_logic_copied_between_two_services() -> None:
    files = [p for s in sorted(SHAPED) for p in (ROOT / "services" / s).rglob("*.py") if ".venv" not in p.parts]
    across = [
        f"{a.path.relative_to(ROOT)}:{a.line} ~ {b.path.relative_to(ROOT)}:{b.line}"
        for a, b in pairs(files)
        if a.path.relative_to(ROOT).parts[1] != b.path.relative_to(ROOT).parts[1]
    ]
    assert not across, "\n".join(across)


def test_copy_detection_finds_a_copy(tmp_path: Path) -> None:
    body = "def f(a, b):\n    x = a + b\n    y = x * 2\n    if y > 10:\n"
    body += "        y = g(y)\n    z = h(x, y)\n    return z\n"
    (tmp_path / "one.py").write_text(body)
    (tmp_path / "two.py").write_text(body.replace("x", "q").replace("10", "99"))
    (tmp_path / "three.py").write_text("def f():\n    return 1\n")
    found = pairs(sorted(tmp_path.glob("*.py")))
    assert {(a.path.name, b.path.name) for a, b in found} == {("one.py", "two.py")}
