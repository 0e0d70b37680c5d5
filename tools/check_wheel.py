"""Build the wheel the way a user's pip would and check what ships in it.

``python tools/check_wheel.py`` (CI runs it): ``pip wheel . --no-deps`` into a temporary folder,
then the files a user's type checker, the schema loader and the licence terms need must be inside,
and the metadata PyPI shows must carry the licence, the project links and the README.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

REQUIRED_FILES = (
    "payermax_async/py.typed",
    "payermax_async/_schema/facts.json",
    "payermax_async/_schema/overlay.json",
    "payermax_async/_schema/NOTICE",
)
REQUIRED_URLS = ("Homepage", "Documentation", "Source", "Changelog")


def problems_in(wheel: Path) -> list[str]:
    """Everything missing from ``wheel``; empty when it is complete."""
    found: list[str] = []
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(metadata_name).decode("utf-8"))
        licence = next((n for n in names if n.endswith(".dist-info/licenses/LICENSE")), None)
        licence_text = archive.read(licence).decode("utf-8") if licence else ""
    found += [f"missing {name}" for name in REQUIRED_FILES if name not in names]
    if not any(n.endswith(".dist-info/licenses/payermax_async/_schema/NOTICE") for n in names):
        found.append("missing the NOTICE among the licence files")
    if "MIT License" not in licence_text:
        found.append("missing the MIT LICENSE in .dist-info/licenses")
    if metadata.get("License-Expression") != "MIT":
        found.append(f"License-Expression is {metadata.get('License-Expression')!r}, not 'MIT'")
    urls = {u.split(",", 1)[0].strip() for u in metadata.get_all("Project-URL") or []}
    found += [f"missing the project URL {label}" for label in REQUIRED_URLS if label not in urls]
    if "Programming Language :: Python :: 3.13" not in (metadata.get_all("Classifier") or []):
        found.append("missing the Python 3.13 classifier")
    if metadata.get("Description-Content-Type") != "text/markdown":
        found.append("the README is not declared as Markdown")
    return found


def main() -> int:
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--quiet", "-w", out]
        subprocess.run(command, check=True)
        wheels = list(Path(out).glob("payermax_async-*.whl"))
        if len(wheels) != 1:
            print(f"expected one wheel, pip wrote {[w.name for w in wheels]}", file=sys.stderr)
            return 1
        found = problems_in(wheels[0])
    for problem in found:
        print(f"{wheels[0].name}: {problem}", file=sys.stderr)
    if not found:
        print(f"{wheels[0].name}: complete")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
