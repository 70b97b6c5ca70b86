"""The layering is checked by import-linter (.importlinter), not by hope: views, admin and commands use services,
services use models, models use the encoder, storage and image helpers, and no import cycle but Celery's."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import BASE_DIR

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """Run lint-imports on the packages under `root` with the project's contracts."""
    return subprocess.run([str(LINT_IMPORTS), "--config", str(BASE_DIR / ".importlinter"), "--no-cache"],
                          cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, capture_output=True,
                          text=True, timeout=120)


def test_the_code_keeps_its_import_contracts():
    result = lint_imports(BASE_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture
def copy_of_the_code(tmp_path) -> Path:
    for package in ("gallery", "artsearch"):
        shutil.copytree(BASE_DIR / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@pytest.mark.parametrize(("module", "bad_import", "broken"), [
    ("gallery/clip/base.py", "from gallery.services import search", "Interfaces use services"),  # upwards
    ("gallery/models.py", "from gallery import views", "Interfaces use services"),
    ("gallery/clip/base.py", "from gallery.clip import encoder", "No import cycles"),  # encoder imports base
    ("gallery/page_paths.py", "import artsearch.urls", "does not import the project package"),
])
def test_a_new_violation_breaks_a_contract(copy_of_the_code, module, bad_import, broken):
    path = copy_of_the_code / module
    path.write_text(path.read_text() + f"\n{bad_import}  # noqa\n")
    result = lint_imports(copy_of_the_code)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and broken in result.stdout.split("Broken contracts")[-1].replace("\n", " ")


def test_a_new_module_outside_every_layer_is_refused(copy_of_the_code):
    (copy_of_the_code / "gallery" / "helpers.py").write_text('"""Where would this live?"""\n')
    result = lint_imports(copy_of_the_code)
    assert result.returncode != 0 and "gallery.helpers" in result.stdout
