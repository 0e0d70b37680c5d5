"""What a user sees of the package before importing it: the licence, the metadata, the README on PyPI,
and (through tools/check_wheel.py, which CI runs on a real ``pip wheel``) the wheel's contents."""

from __future__ import annotations

import importlib
import re
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
check_wheel = importlib.import_module("check_wheel")


def test_the_licence_file_is_the_mit_licence_the_metadata_names() -> None:
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License\n")
    assert "payermax_async developers" in text
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text("utf-8")


def test_project_urls_and_classifiers() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert set(project["urls"]) >= {"Homepage", "Documentation", "Source", "Changelog"}
    assert all(url.startswith("https://") for url in project["urls"].values())
    assert "Programming Language :: Python :: 3.13" in project["classifiers"]
    assert project["optional-dependencies"]["cli"] == ["rich>=13"]
    assert "rich" not in " ".join(project["dependencies"])  # the core install stays small


def test_every_readme_link_works_on_pypi_too() -> None:
    """PyPI renders the README away from the repository: a relative link there is a dead one."""
    readme = (ROOT / "README.md").read_text("utf-8")
    targets = re.findall(r"\]\(([^)]+)\)", readme)
    assert targets
    relative = [t for t in targets if not t.startswith(("https://", "http://", "#"))]
    assert relative == []


def _wheel(tmp_path: Path, leave_out: str = "", metadata: str = "") -> Path:
    path = tmp_path / "payermax_async-0-py3-none-any.whl"
    meta = metadata or (
        "Metadata-Version: 2.4\nName: payermax-async\nLicense-Expression: MIT\n"
        "Classifier: Programming Language :: Python :: 3.13\n"
        "Project-URL: Homepage, https://h\nProject-URL: Documentation, https://d\n"
        "Project-URL: Source, https://s\nProject-URL: Changelog, https://c\n"
        "Description-Content-Type: text/markdown\n\nreadme\n"
    )
    files = {
        **{name: "x" for name in check_wheel.REQUIRED_FILES},
        "p-0.dist-info/METADATA": meta,
        "p-0.dist-info/licenses/LICENSE": "MIT License\n...",
        "p-0.dist-info/licenses/payermax_async/_schema/NOTICE": "notice",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            if name != leave_out:
                archive.writestr(name, text)
    return path


def test_the_wheel_check_passes_a_complete_wheel(tmp_path: Path) -> None:
    assert check_wheel.problems_in(_wheel(tmp_path)) == []


@pytest.mark.parametrize(
    ("leave_out", "problem"),
    [
        ("payermax_async/py.typed", "missing payermax_async/py.typed"),
        ("payermax_async/_schema/facts.json", "missing payermax_async/_schema/facts.json"),
        ("payermax_async/_schema/NOTICE", "missing payermax_async/_schema/NOTICE"),
        ("p-0.dist-info/licenses/LICENSE", "missing the MIT LICENSE in .dist-info/licenses"),
    ],
)
def test_the_wheel_check_names_what_is_missing(tmp_path: Path, leave_out: str, problem: str) -> None:
    assert check_wheel.problems_in(_wheel(tmp_path, leave_out)) == [problem]


def test_the_wheel_check_reads_the_metadata(tmp_path: Path) -> None:
    bare = "Metadata-Version: 2.4\nName: payermax-async\nProject-URL: Source, https://s\n\nreadme\n"
    problems = check_wheel.problems_in(_wheel(tmp_path, metadata=bare))
    assert problems == [
        "License-Expression is None, not 'MIT'",
        "missing the project URL Homepage",
        "missing the project URL Documentation",
        "missing the project URL Changelog",
        "missing the Python 3.13 classifier",
        "the README is not declared as Markdown",
    ]
