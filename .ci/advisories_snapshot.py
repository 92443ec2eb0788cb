"""Write .ci/advisories.json: the PyPA advisory database's entries for the locked packages.

Used by `.ci/audit` when neither vulnerability service (OSV, PyPI) can be reached.
Run with a checkout of https://github.com/pypa/advisory-database (any commit):

    python .ci/advisories_snapshot.py /path/to/advisory-database <commit> <commit date>
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main() -> None:
    source, commit, date = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    names: set[str] = set()
    for lock in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / lock).read_text(encoding="utf-8")
        names |= {_normal(n) for n in re.findall(r"^([a-z0-9_.-]+)==", text, flags=re.M)}
    entries = []
    for folder in sorted((source / "vulns").iterdir()):
        if _normal(folder.name) not in names:
            continue
        for path in sorted(folder.glob("*.yaml")):
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            if doc.get("withdrawn"):
                continue
            for affected in doc.get("affected", []):
                entries.append(
                    {
                        "id": doc["id"],
                        "aliases": doc.get("aliases", []),
                        "package": _normal(affected["package"]["name"]),
                        "ranges": [
                            r["events"] for r in affected.get("ranges", []) if r["type"] == "ECOSYSTEM"
                        ],
                        "versions": affected.get("versions", []),
                    }
                )
    snapshot = {
        "source": "https://github.com/pypa/advisory-database",
        "license": "CC-BY-4.0",
        "commit": commit,
        "date": date,
        "advisories": entries,
    }
    out = ROOT / ".ci" / "advisories.json"
    out.write_text(json.dumps(snapshot, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(entries)} advisories of {len(names)} packages -> {out}")


if __name__ == "__main__":
    main()
