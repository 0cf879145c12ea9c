#!/bin/bash
# A throwaway local PostgreSQL for tests (issue 18): initdb into a fresh folder under /tmp,
# listening on 127.0.0.1 only (no Unix socket), on a free port, fsync off, trust auth.
#
#   postgres.sh start [PID]  prints "URL DIR" (postgresql://deepfake@127.0.0.1:PORT/postgres
#                            and the folder to pass to stop); exits non-zero with the log.
#                            With PID, a watcher stops the server once that process is gone
#                            (a test that crashed before its own teardown).
#   postgres.sh stop DIR     stops it (immediate mode) and removes DIR
#
# PostgreSQL refuses to run as root: as root, the folder is chown'ed to `nobody` and
# initdb / postgres run through setpriv. The folder is under /tmp, not $TEST_TMPDIR (under
# /root, which nobody cannot traverse). Used by serve/web/testing/postgres_fixture.cc and
# the fleet test (tests/serve_fleet_test.sh).
set -euo pipefail

readonly PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
  else
    "$@"
  fi
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  if [[ ! -x "${PG_BIN}/postgres" ]]; then
    echo "postgres.sh: ${PG_BIN}/postgres not found (apt-get install postgresql-15)" >&2
    exit 1
  fi
  local dir
  dir="$(mktemp -d /tmp/deepfake-pg.XXXXXX)"
  chmod 755 "${dir}"
  mkdir "${dir}/data"
  if [[ "$(id -u)" == 0 ]] && ! chown nobody:nogroup "${dir}/data" "${dir}"; then
    echo "postgres.sh: cannot chown ${dir} to nobody (in a sandbox that maps only root?)" >&2
    rm -rf "${dir}"
    exit 1
  fi
  if ! as_owner "${PG_BIN}/initdb" -D "${dir}/data" -U deepfake --auth=trust -E UTF8 \
      --locale=C.UTF-8 --no-sync >"${dir}/initdb.log" 2>&1; then
    echo "postgres.sh: initdb failed:" >&2
    cat "${dir}/initdb.log" >&2
    rm -rf "${dir}"
    exit 1
  fi
  local port attempt
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    if as_owner "${PG_BIN}/pg_ctl" -D "${dir}/data" -l "${dir}/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories= \
            -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
            -c max_connections=200 -c shared_buffers=32MB" start >"${dir}/pg_ctl.log" 2>&1; then
      if [[ -n "${1:-}" ]]; then
        # In its own session: the test runner's kill of the test's process group spares it.
        setsid -f "$0" watch "$1" "${dir}" </dev/null >/dev/null 2>&1
      fi
      echo "postgresql://deepfake@127.0.0.1:${port}/postgres ${dir}"
      return 0
    fi
  done
  echo "postgres.sh: postgres did not start:" >&2
  cat "${dir}/pg_ctl.log" "${dir}/postgres.log" >&2 || true
  rm -rf "${dir}"
  exit 1
}

stop() {
  local dir="$1"
  [[ -d "${dir}/data" ]] || return 0
  as_owner "${PG_BIN}/pg_ctl" -D "${dir}/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "${dir}"
}

# Stops the server in DIR once process PID is gone.
watch() {
  while kill -0 "$1" 2>/dev/null; do sleep 1; done
  stop "$2"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:?postgres.sh stop DIR}" ;;
  watch) watch "${2:?PID}" "${3:?DIR}" ;;
  *) echo "usage: postgres.sh start | stop DIR" >&2; exit 2 ;;
esac
