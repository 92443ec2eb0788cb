"""Distribution benchmark (issue 4): optimizer vs the greedy CRM rules, at three sizes.

    .venv/bin/python benchmarks/bench_distribution.py            # full run, writes RESULTS.md
    .venv/bin/python benchmarks/bench_distribution.py --quick    # small sizes, no file written

Instances come from benchmarks/instances.py (three principles combined, capacity loaded at
90 %), reproducible by seed. Every plan is checked by the solver-free `validate`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import resource
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.instances import generate, with_owners

from clientbase.planning.schemas import Instance, Plan, Settings, Strategy
from clientbase.planning.solve import make_plan
from clientbase.planning.validate import RULE_UNASSIGNED, validate

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTION = "## Distribution (issue 4)"


@dataclass(slots=True)
class Row:
    """One line of the results table."""

    instance: str
    strategy: str
    status: str
    imbalance: float
    bound: float
    moves: int
    violations: int
    unassigned: int
    seconds: float
    peak_mib: float

    def cells(self) -> list[str]:
        """Formatted table cells."""
        return [
            self.instance,
            self.strategy,
            self.status,
            f"{self.imbalance:.4f}",
            f"{self.bound:.4f}",
            str(self.moves),
            str(self.violations),
            str(self.unassigned),
            f"{self.seconds:.2f}",
            f"{self.peak_mib:.0f}",
        ]


HEADER = [
    "instance",
    "strategy",
    "status",
    "imbalance",
    "bound",
    "moves",
    "violations",
    "unassigned",
    "seconds",
    "peak MiB",
]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(name: str, instance: Instance, strategy: Strategy) -> tuple[Row, Plan]:
    started = time.monotonic()
    plan = make_plan(instance, strategy, with_explanations=False)
    seconds = time.monotonic() - started
    broken = [v for v in validate(instance, plan) if v.rule != RULE_UNASSIGNED]
    row = Row(
        name,
        strategy.value,
        plan.status.value,
        plan.imbalance,
        plan.lower_bound if strategy is Strategy.OPTIMAL else float("nan"),
        plan.moves,
        len(broken),
        plan.unassigned,
        seconds,
        _peak_mib(),
    )
    print(" | ".join(row.cells()), flush=True)
    return row, plan


def _table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r.cells()).replace("nan", "—") + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    """Run the benchmark and report the targets of issue 4."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, RESULTS.md untouched")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-large", action="store_true", help="skip 100 000 × 1 000")
    args = parser.parse_args()
    seed = args.seed
    if args.quick:
        sizes = [("300x9", 300, 9, 2.0), ("2000x40", 2000, 40, 5.0)]
        rebalance_size = ("2000x40", 2000, 40, 5.0)
    else:
        sizes = [
            ("900x18", 900, 18, 2.0),
            ("20000x200", 20_000, 200, 30.0),
            ("100000x1000", 100_000, 1_000, 120.0),
        ]
        if args.skip_large:
            sizes = sizes[:2]
        rebalance_size = ("20000x200", 20_000, 200, 30.0)
    print(" | ".join(HEADER))
    load_before = os.getloadavg()
    rows: list[Row] = []
    checks: list[str] = []
    for name, n_clients, n_managers, limit in sizes:
        instance = generate(
            n_clients, n_managers, seed=seed, settings=Settings(time_limit=limit, seed=seed)
        )
        ours, _ = _run(name, instance, Strategy.OPTIMAL)
        rows.append(ours)
        checks.append(
            f"{name}: {ours.seconds:.1f} s (limit {limit:.0f}), status {ours.status}, "
            f"imbalance − bound = {ours.imbalance - ours.bound:.4f} "
            f"(exactly {ours.imbalance - ours.bound:.2e}: imbalance {ours.imbalance:.3e}, "
            f"bound {ours.bound:.3e}), "
            f"violations {ours.violations}, unassigned {ours.unassigned}, "
            f"peak {ours.peak_mib:.0f} MiB"
        )
        best = None
        for strategy in (Strategy.ROUND_ROBIN, Strategy.LEAST_LOADED, Strategy.WEIGHTED):
            row, _ = _run(name, instance, strategy)
            rows.append(row)
            best = row.imbalance if best is None else min(best, row.imbalance)
        if best is not None:
            ratio = best / ours.imbalance if ours.imbalance > 0 else float("inf")
            checks.append(f"{name}: best baseline imbalance / ours = {ratio:.1f}×")

    # Rebalance: a book built at 75 % load, then 10 % new clients and 2 managers leaving.
    name, n_clients, n_managers, limit = rebalance_size
    settings = Settings(time_limit=limit, seed=seed)
    start = generate(n_clients, n_managers, seed=seed + 7, load=0.75, settings=settings)
    first = make_plan(start, with_explanations=False)
    moved_instance, unavoidable = with_owners(start, first.assignment, seed=seed)
    label = f"rebalance {name}+10%-2"
    ours, _ = _run(label, moved_instance, Strategy.OPTIMAL)
    rows.append(ours)
    scratch_instance = replace(
        moved_instance,
        clients=tuple(replace(c, owner_id=None, locked=False) for c in moved_instance.clients),
    )
    scratch, _ = _run(f"{label} from scratch", scratch_instance, Strategy.OPTIMAL)
    rows.append(scratch)
    for strategy in (Strategy.ROUND_ROBIN, Strategy.LEAST_LOADED, Strategy.WEIGHTED):
        row, _ = _run(label, moved_instance, strategy)
        rows.append(row)
    checks.append(
        f"{label}: moves {ours.moves} vs unavoidable {unavoidable} "
        f"(ratio {ours.moves / max(unavoidable, 1):.2f}, target ≤ 1.2); imbalance "
        f"{ours.imbalance:.4f} vs from scratch {scratch.imbalance:.4f} "
        f"(+{ours.imbalance - scratch.imbalance:.4f}, target ≤ +0.02)"
    )
    print()
    print("\n".join(checks))
    load_after = os.getloadavg()
    load = (
        f"load average {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end "
        f"(1-minute), on {os.cpu_count()} CPUs"
    )
    print(load)
    if not args.quick:
        _write(rows, checks, load)
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _write(rows: list[Row], checks: list[str], load: str) -> None:
    body = "\n".join(
        [
            SECTION,
            "",
            f"Run {dt.date.today().isoformat()} on {os.cpu_count()} CPUs ({_cpu_model()}), "
            f"Python {platform.python_version()}; command "
            f"`.venv/bin/python benchmarks/bench_distribution.py`; {load}.",
            "`bound` is the proven lower bound on imbalance; `violations` counts broken hard "
            "rules (the greedy rules ignore capacity); `peak MiB` is the process peak RSS "
            "(ru_maxrss) so far in the run. `imbalance` is SPEC §4's: the largest spread over "
            "peer groups (managers of one role group linked by clients they may share).",
            "",
            _table(rows),
            "",
            *[f"- {c}" for c in checks],
            "",
        ]
    )
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"{re.escape(SECTION)}\n.*?(?=\n## |\Z)", re.S)
    if pattern.search(text):
        # Keep the blank line before the next section.
        text = pattern.sub(body.rstrip("\n") + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + body
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
