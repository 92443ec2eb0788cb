"""Untrusted files are parsed in a child process with memory and CPU-time limits.

A spreadsheet reader written in Rust aborts the whole process when an allocation fails, and
a hostile file can make it ask for half a terabyte: in the web server that would stop the
service for everybody. So every upload and import file is read by
``python -m clientbase.io.sandbox``, a child that first limits its own address space and CPU
time (``resource.setrlimit``), then parses and writes the rows back as a pickle of plain
values. The parent reads that pickle with an unpickler that admits only the date and time
types, waits no longer than a wall-clock limit, and turns a crash, an abort or a limit of
the child into a Russian message naming the file. Other requests of the server go on: the
parent thread only waits on a pipe.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import io
import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from clientbase.errors import BadInputError
from clientbase.io.guards import ShapeLimits

log = logging.getLogger(__name__)

_SRC = str(Path(__file__).resolve().parents[2])
_ALLOWED = {("datetime", name) for name in ("date", "datetime", "time", "timedelta", "timezone")}


class _PlainUnpickler(pickle.Unpickler):
    """Builds only plain values and the date/time types; any other class is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return getattr(dt, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a plain value")


def limits_from_settings() -> tuple[ShapeLimits, int, int]:
    """Shape limits, memory (MiB) and CPU seconds of the reader, from the settings."""
    from clientbase.settings import get_settings  # the child never needs pydantic

    s = get_settings()
    shape = ShapeLimits(max_cells=s.reader_max_cells, max_columns=s.reader_max_columns)
    return shape, s.reader_memory_mb, s.reader_cpu_seconds


def run(task: str, path: Path, *, max_bytes: int) -> Any:
    """Run reader `task` ("table", "json" or "settings") on `path` in a bounded child."""
    shape, memory_mb, cpu_seconds = limits_from_settings()
    request = {
        "task": task,
        "path": str(path),
        "max_bytes": max_bytes,
        "limits": asdict(shape),
        "memory_mb": memory_mb,
        "cpu_seconds": cpu_seconds,
    }
    env = dict(os.environ)
    env["RUST_BACKTRACE"] = "0"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_SRC, env.get("PYTHONPATH")) if p)
    wall = cpu_seconds * 2 + 30
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "clientbase.io.sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,  # a file, not a pipe: a long message can never block the child
            env=env,
        )
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            child.kill()

        timer = threading.Timer(wall, expire)
        timer.start()
        try:
            assert child.stdin is not None and child.stdout is not None
            with contextlib.suppress(OSError):  # a child that died at once is judged below
                child.stdin.write(json.dumps(request).encode())
                child.stdin.close()
            # The whole answer first, then unpickled from memory (faster than from the pipe).
            answer = _answer(io.BytesIO(child.stdout.read()), path.name)
            child.stdout.close()
            code = child.wait()
        finally:
            timer.cancel()
            if child.poll() is None:
                child.kill()
                child.wait()
        errors.seek(0)
        stderr = errors.read()[-4000:]
    if code == 0 and answer is not None:
        status, payload = answer
        if status == "ok":
            return payload
        raise BadInputError(str(payload))
    if expired.is_set():
        raise BadInputError(
            f"{path.name}: файл не удалось прочитать: чтение длилось дольше {wall} с — "
            "файл слишком большой или повреждён."
        )
    raise BadInputError(_crash_message(path.name, code, stderr))


def _answer(stream: IO[bytes], file: str) -> tuple[str, Any] | None:
    try:
        status, payload = _PlainUnpickler(stream).load()
    except Exception as exc:  # a child that died or wrote something else
        log.info("reader child wrote no result for %s: %s", file, exc)
        return None
    return str(status), payload


def _crash_message(file: str, code: int, stderr: bytes) -> str:
    tail = stderr.decode("utf-8", "replace")[-600:]
    log.warning("reader child for %s ended with %s: %s", file, code, tail)
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return (
            f"{file}: файл не удалось прочитать: чтение заняло слишком много времени — "
            "файл слишком большой или повреждён."
        )
    return (
        f"{file}: файл не удалось прочитать: слишком большой лист или файл повреждён "
        "(чтению не хватило памяти или файл нарушает формат)."
    )


# ------------------------------------------------------------------ the child


def _limit_self(memory_mb: int, cpu_seconds: int) -> None:
    import resource

    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child() -> int:
    # Millions of cells and no reference cycles among them: the cyclic collector would only
    # re-walk every live cell again and again (it doubled the time of a big file).
    gc.disable()
    request = json.loads(sys.stdin.buffer.read())
    _limit_self(int(request["memory_mb"]), int(request["cpu_seconds"]))
    from clientbase.io import readers  # after the limits: the reader's own memory counts

    limits = ShapeLimits(**request["limits"])
    path = Path(request["path"])
    out = sys.stdout.buffer
    try:
        parse = {
            "json": readers.parse_json_here,
            "settings": readers.parse_settings_here,
            "table": readers.parse_table_here,
        }[request["task"]]
        result: Any = parse(path, request["max_bytes"], limits)
        answer = ("ok", result)
    except BadInputError as exc:
        answer = ("refused", exc.message)
    except MemoryError:
        answer = (
            "refused",
            f"{path.name}: файл не удалось прочитать: слишком большой лист или файл "
            "повреждён (чтению не хватило памяти).",
        )
    except RecursionError:
        answer = ("refused", f"{path.name}: файл не удалось прочитать: глубокая вложенность.")
    except BaseException as exc:  # a reader's panic is a BaseException; never a traceback
        log.warning("reader panic on %s: %r", path.name, exc)
        answer = ("refused", f"{path.name}: файл не удалось прочитать: файл повреждён.")
    try:
        pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo: plain values without cycles, ten times faster
        pickler.dump(answer)
    except MemoryError:
        return 3
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child())
