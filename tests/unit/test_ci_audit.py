"""The offline half of `.ci/audit` finds a known vulnerability in a locked version."""

from __future__ import annotations

import importlib.util
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).parents[2]


def _audit() -> ModuleType:
    loader = SourceFileLoader("ci_audit", str(ROOT / ".ci" / "audit"))
    spec = importlib.util.spec_from_loader("ci_audit", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_a_locked_version_with_a_known_fixed_vulnerability_is_found(tmp_path: Path) -> None:
    lock = tmp_path / "old.lock"
    lock.write_text("jinja2==2.11.2 \\\n    --hash=sha256:00\nfastapi==0.165.0 \\\n")
    findings = _audit().offline(lock)
    ids = {(name, advisory) for name, _, advisory, fixed in findings if fixed}
    assert ("jinja2", "PYSEC-2021-66") in ids
    assert all(name == "jinja2" for name, *_ in findings)


def test_the_runtime_lock_has_no_known_vulnerability_with_a_fix_in_the_snapshot() -> None:
    findings = _audit().offline(ROOT / "requirements.lock")
    assert [f for f in findings if f[3]] == []
