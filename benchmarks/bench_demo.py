"""Benchmark: `clientbase demo` at scale — wall time, peak memory and database size.

Runs the real command in a subprocess (as a user would) for each size and prints one
table row per run. Usage: python benchmarks/bench_demo.py [--sizes 900x10,100000x1000]
"""

from __future__ import annotations

import argparse
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run(clients: int, managers: int, workdir: Path) -> tuple[float, float, float]:
    """Seconds, peak RSS in MiB and file size in MiB of one demo run."""
    db = workdir / f"demo_{clients}_{managers}.db"
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "clientbase",
            "demo",
            "--db",
            f"sqlite:///{db}",
            "--clients",
            str(clients),
            "--managers",
            str(managers),
            "--today",
            "2026-11-22",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    size = sum(p.stat().st_size for p in workdir.glob(f"{db.name}*")) / 2**20
    return seconds, peak, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="900x10,20000x200,100000x1000")
    args = parser.parse_args()
    print(f"machine: {cpu_model()}, {len(__import__('os').sched_getaffinity(0))} cores")
    print(f"{'clients':>8} {'managers':>8} {'seconds':>8} {'peak MiB':>9} {'DB MiB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            clients, managers = (int(x) for x in size.split("x"))
            seconds, peak, db_size = run(clients, managers, Path(tmp))
            print(f"{clients:>8} {managers:>8} {seconds:>8.1f} {peak:>9.0f} {db_size:>8.0f}")


if __name__ == "__main__":
    main()
