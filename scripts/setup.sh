#!/usr/bin/env bash
# Relaydesk development/CI setup. Idempotent, quiet and fast when everything is
# already in place; it runs before every `make run` / `make test`.
#
#   scripts/setup.sh              venv + package, RabbitMQ + PostgreSQL reachable, migrate
#   scripts/setup.sh --test       the same, plus Debian's chromium (browser test) and ffmpeg (voice test)
#   scripts/setup.sh --venv-only  only the virtualenv and the package install
#
# Environment:
#   RELAYDESK_AMQP_URL        default amqp://guest:guest@localhost:5672/
#   RELAYDESK_DATABASE_URL    default postgresql://postgres@localhost:5432/relaydesk
#   RELAYDESK_SETUP_WAIT      seconds to wait for a service we started (default 60)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

WANT_TEST=0
VENV_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --test) WANT_TEST=1 ;;
        --venv-only) VENV_ONLY=1 ;;
        -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup: unknown argument: $arg (try --help)" >&2; exit 2 ;;
    esac
done

: "${RELAYDESK_AMQP_URL:=amqp://guest:guest@localhost:5672/}"
: "${RELAYDESK_DATABASE_URL:=postgresql://postgres@localhost:5432/relaydesk}"
: "${RELAYDESK_SETUP_WAIT:=60}"
export RELAYDESK_AMQP_URL RELAYDESK_DATABASE_URL

PG_CONF_ROOT="${PG_CONF_ROOT:-/etc/postgresql}"   # Debian's layout; overridable for tests
VENV="$ROOT/.venv"
VPY="$VENV/bin/python"
# Debian keeps service tools in sbin, which a non-login PATH may lack.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

say()  { printf 'setup: %s\n' "$*" >&2; }
die()  { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }
can_apt() { is_root && command -v apt-get >/dev/null 2>&1; }

APT_UPDATED=0
apt_install() {
    local log
    log="$(mktemp)"
    say "installing Debian package(s): $* (apt-get)"
    if [ "$APT_UPDATED" -eq 0 ]; then
        if ! apt-get update -q >"$log" 2>&1; then
            tail -n 20 "$log" >&2; rm -f "$log"; return 1
        fi
        APT_UPDATED=1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" </dev/null >"$log" 2>&1; then
        tail -n 30 "$log" >&2; rm -f "$log"; return 1
    fi
    rm -f "$log"
}

# ---------------------------------------------------------------- Python ----
py_ok() {  # py_ok CMD -> 0 if CMD runs and is Python >= 3.11
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

find_python() {
    local c
    for c in python3.11 python3; do
        if command -v "$c" >/dev/null 2>&1 && py_ok "$c"; then
            command -v "$c"; return 0
        fi
    done
    return 1
}

ensure_venv() {
    if [ -x "$VPY" ] && py_ok "$VPY"; then
        return 0
    fi
    local py
    if ! py="$(find_python)"; then
        local seen=""
        command -v python3 >/dev/null 2>&1 && seen=" (python3 here is $(python3 --version 2>&1))"
        die "Python >= 3.11 not found: neither 'python3.11' nor a 'python3' of version >= 3.11 is on PATH${seen}. Install Python 3.11 or newer (Debian 12/Ubuntu 24.04: apt-get install python3 python3-venv; or pyenv install 3.11)."
    fi
    if [ -e "$VENV" ]; then
        [ -w "$VENV" ] || die ".venv exists but its python does not run for user $(id -un) and .venv is not writable; run setup as the user who owns .venv ($(stat -c %U "$VENV" 2>/dev/null || echo '?'))."
        say "existing .venv is broken or older than Python 3.11; recreating it with $py"
    else
        say "creating .venv with $py ($("$py" --version 2>&1))"
    fi
    if ! "$py" -m venv --clear "$VENV" >/dev/null 2>&1; then
        # Debian/Ubuntu ship ensurepip separately, in python3-venv.
        if [[ "$py" == /usr/bin/python3* ]] && can_apt && apt_install python3-venv \
            && "$py" -m venv --clear "$VENV"; then
            :
        else
            die "'$py -m venv' failed; install the venv module (Debian/Ubuntu: apt-get install python3-venv) and re-run."
        fi
    fi
}

# The venv holds exactly requirements.lock (every version and hash pinned) plus the project itself,
# installed without resolving anything; a stale lock stops here with the command that fixes it.
ensure_package() {
    [ -f "$ROOT/pyproject.toml" ] || die "pyproject.toml not found in $ROOT"
    "$VPY" "$ROOT/scripts/lock.py" --check || exit 1
    local sum stamp
    sum="$(cat "$ROOT/pyproject.toml" "$ROOT/requirements.lock" | "$VPY" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
    stamp="$VENV/.installed-$sum"
    if [ -f "$stamp" ] && [ -x "$VENV/bin/relaydesk" ]; then
        return 0
    fi
    say "installing requirements.lock and relaydesk into .venv (first run, or the lock changed)"
    local log="$VENV/pip-install.log" pip=("$VPY" -m pip --disable-pip-version-check)
    if ! { "${pip[@]}" install --require-hashes --no-deps -r "$ROOT/requirements.lock" \
           && "${pip[@]}" install --no-deps --no-build-isolation -e "$ROOT"; } >"$log" 2>&1; then
        grep -v "is ignored: it is neither a file nor a directory" "$log" | tail -n 40 >&2
        die "installing from requirements.lock failed (the end of pip's output is above; all of it in $log)"
    fi
    local extra
    mapfile -t extra < <("$VPY" "$ROOT/scripts/lock.py" --extraneous)
    if [ "${#extra[@]}" -gt 0 ] && [ -n "${extra[0]}" ]; then
        say "removing packages the lock does not name: ${extra[*]}"
        "${pip[@]}" uninstall -y -q "${extra[@]}" >>"$log" 2>&1 || die "pip uninstall failed (see $log)"
    fi
    rm -f "$VENV"/.installed-*
    touch "$stamp"
}

# -------------------------------------------------------------- services ----
# Prints, one per line: AMQP host, AMQP port, PG host, PG port, PG user, PG password.
parse_urls() {
    "$VPY" - "$RELAYDESK_AMQP_URL" "$RELAYDESK_DATABASE_URL" <<'PY'
import sys
from urllib.parse import unquote, urlsplit

a = urlsplit(sys.argv[1])
p = urlsplit(sys.argv[2])
a_port = a.port or (5671 if a.scheme == "amqps" else 5672)
for v in (a.hostname or "localhost", a_port, p.hostname or "localhost", p.port or 5432,
          unquote(p.username or "postgres"), unquote(p.password or "")):
    print(v)
PY
}

tcp_open() {  # tcp_open HOST PORT
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" >/dev/null 2>&1
}

pg_up() {  # port open, and the server accepts connections (not starting up)
    tcp_open "$PG_HOST" "$PG_PORT" || return 1
    command -v pg_isready >/dev/null 2>&1 || return 0
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3 >/dev/null 2>&1
}

rabbit_up() { tcp_open "$AMQP_HOST" "$AMQP_PORT"; }

is_local() {
    case "$1" in localhost|127.*|::1|"[::1]") return 0 ;; *) return 1 ;; esac
}

# The PostgreSQL cluster to act on: the one configured for PG_PORT, else the
# newest version's 'main', else the first one. Prints "VERSION NAME" or nothing.
pg_cluster() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 0
    local found
    found="$(pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p {print $1, $2; exit}')"
    [ -n "$found" ] || found="$(pg_lsclusters -h 2>/dev/null | awk '$2 == "main" {print $1, $2}' | sort -V | tail -n 1)"
    [ -n "$found" ] || found="$(pg_lsclusters -h 2>/dev/null | awk '{print $1, $2; exit}')"
    printf '%s' "$found"
}

# start_* return 0 = start issued, 1 = not installed and cannot install, 2 = start command failed
start_postgres() {
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        can_apt || return 1
        apt_install postgresql || return 1
    fi
    local cl
    cl="$(pg_cluster)"
    if [ -z "$cl" ]; then
        local ver
        ver="$(ls "$PG_CONF_ROOT" 2>/dev/null | sort -V | tail -n 1)"
        [ -n "$ver" ] || return 1
        say "creating PostgreSQL cluster $ver/main on port $PG_PORT"
        pg_createcluster "$ver" main -p "$PG_PORT" >/dev/null || return 2
        cl="$ver main"
    fi
    say "starting PostgreSQL cluster $cl (pg_ctlcluster)"
    # shellcheck disable=SC2086
    pg_ctlcluster --skip-systemctl-redirect $cl start || return 2
}

start_rabbitmq() {
    if ! command -v rabbitmq-server >/dev/null 2>&1; then
        can_apt || return 1
        apt_install rabbitmq-server || return 1
    fi
    say "starting RabbitMQ (rabbitmq-server -detached)"
    rabbitmq-server -detached || return 2
}

ensure_service() {  # ensure_service NAME HOST PORT UPFN STARTFN DEBIAN_PKG
    local name="$1" host="$2" port="$3" upfn="$4" startfn="$5" pkg="$6"
    "$upfn" && return 0
    say "$name is not reachable at $host:$port"
    is_local "$host" \
        || die "$name at $host:$port (from RELAYDESK_*_URL) is not reachable and is not local, so setup cannot start it. Start it there or fix the URL."
    local rc=0
    "$startfn" || rc=$?
    if [ "$rc" -eq 1 ]; then
        if is_root; then
            die "$name is not installed and could not be installed with apt-get (Debian package: $pkg). Install and start it on $host:$port, or point the URL elsewhere."
        fi
        die "$name is not running on $host:$port and is not installed; as non-root setup cannot install it. Run: sudo apt-get install $pkg (then re-run setup)."
    fi
    if [ "$rc" -eq 2 ] && ! is_root; then
        die "$name is installed but could not be started as user $(id -un). Start it yourself (root), e.g. 'sudo pg_ctlcluster <ver> main start' / 'sudo rabbitmq-server -detached', then re-run."
    fi
    local waited=0
    say "waiting up to ${RELAYDESK_SETUP_WAIT}s for $name on $host:$port ..."
    until "$upfn"; do
        [ "$waited" -lt "$RELAYDESK_SETUP_WAIT" ] \
            || die "$name did not become ready on $host:$port within ${RELAYDESK_SETUP_WAIT}s (logs: /var/log/postgresql/, /var/log/rabbitmq/)."
        sleep 1; waited=$((waited + 1))
    done
    say "$name is ready on $host:$port (after ${waited}s)"
}

pg_login() {  # prints libpq's error on failure
    local -a envs=(PGCONNECT_TIMEOUT=5)
    [ -n "$PG_PASSWORD" ] && envs+=("PGPASSWORD=$PG_PASSWORD")
    env "${envs[@]}" psql -w -X -q -A -t -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres \
        -c 'select 1' 2>&1 >/dev/null
}

# The role must log in over TCP. A fresh Debian install wants a password on
# 127.0.0.1 (scram-sha-256); for a local dev/CI server we then put 'trust' lines
# for loopback at the top of pg_hba.conf and reload.
ensure_pg_login() {
    command -v psql >/dev/null 2>&1 || return 0
    local err
    err="$(pg_login)" && return 0
    case "$err" in
        *password*|*authentication*) ;;
        *) say "note: psql could not log in as '$PG_USER': $err ('relaydesk migrate' will tell more)"; return 0 ;;
    esac
    if ! is_local "$PG_HOST" || ! is_root; then
        die "PostgreSQL at $PG_HOST:$PG_PORT refuses user '$PG_USER' without a (correct) password: $err. Put the password in RELAYDESK_DATABASE_URL, or allow 'trust' for this host in pg_hba.conf."
    fi
    local cl hba
    cl="$(pg_cluster)"
    hba="$PG_CONF_ROOT/${cl% *}/${cl#* }/pg_hba.conf"
    if [ -z "$cl" ] || [ ! -f "$hba" ]; then
        die "PostgreSQL asks '$PG_USER' for a password and its pg_hba.conf was not found; put a password in RELAYDESK_DATABASE_URL."
    fi
    if ! grep -q 'relaydesk scripts/setup.sh' "$hba"; then
        say "PostgreSQL asks '$PG_USER' for a password over TCP: adding 'host all all 127.0.0.1/32 trust' (and ::1/128) at the top of $hba (local dev/CI server only)"
        local tmp
        tmp="$(mktemp)"
        {
            echo "# added by relaydesk scripts/setup.sh: trust loopback TCP for local development/CI"
            echo "host    all    all    127.0.0.1/32    trust"
            echo "host    all    all    ::1/128         trust"
            cat "$hba"
        } >"$tmp"
        cat "$tmp" >"$hba"   # keep the file's owner and mode
        rm -f "$tmp"
    fi
    # shellcheck disable=SC2086
    pg_ctlcluster --skip-systemctl-redirect $cl reload >/dev/null 2>&1 || true
    local i
    for i in 1 2 3 4 5; do
        err="$(pg_login)" && return 0
        sleep 1
    done
    die "PostgreSQL still refuses '$PG_USER' on $PG_HOST:$PG_PORT after enabling trust in $hba: $err"
}

ensure_chromium() {
    if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
        return 0
    fi
    if can_apt; then
        apt_install chromium && return 0
        say "WARNING: could not install Debian's chromium; the browser test will be skipped."
    else
        say "WARNING: Debian's chromium is not installed and setup is not root; the browser test will be skipped (install with: sudo apt-get install chromium)."
    fi
}

# WeChat voice (AMR/Speex) is converted for browsers with ffmpeg when it is installed; the voice
# test checks the conversion, so CI installs it (without it the adapter keeps the original).
ensure_ffmpeg() {
    command -v ffmpeg >/dev/null 2>&1 && return 0
    if can_apt; then
        apt_install --no-install-recommends ffmpeg && return 0
        say "WARNING: could not install Debian's ffmpeg; the voice conversion check will be skipped."
    else
        say "WARNING: ffmpeg is not installed and setup is not root; the voice conversion check will be skipped (install with: sudo apt-get install ffmpeg)."
    fi
}

# The tests make a RabbitMQ vhost per test; the management HTTP API does that in milliseconds,
# rabbitmqctl in ~0.6 s of CPU each. Enabled on a local broker only (tests fall back without it).
ensure_rabbit_management() {
    is_local "$AMQP_HOST" && is_root && command -v rabbitmq-plugins >/dev/null 2>&1 || return 0
    tcp_open "$AMQP_HOST" 15672 && return 0
    say "enabling RabbitMQ's management plugin (HTTP API on 127.0.0.1:15672) for the tests' vhosts"
    if ! rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1; then
        say "note: could not enable rabbitmq_management; the tests will use rabbitmqctl (slower)"
        return 0
    fi
    local waited=0
    until tcp_open "$AMQP_HOST" 15672 || [ "$waited" -ge 30 ]; do sleep 1; waited=$((waited + 1)); done
}

# ------------------------------------------------------------------ main ----
ensure_venv
ensure_package
if [ "$VENV_ONLY" -eq 1 ]; then
    exit 0
fi

mapfile -t _urlparts < <(parse_urls)
[ "${#_urlparts[@]}" -eq 6 ] || die "could not parse RELAYDESK_AMQP_URL / RELAYDESK_DATABASE_URL"
AMQP_HOST="${_urlparts[0]}" AMQP_PORT="${_urlparts[1]}"
PG_HOST="${_urlparts[2]}" PG_PORT="${_urlparts[3]}"
PG_USER="${_urlparts[4]}" PG_PASSWORD="${_urlparts[5]}"

ensure_service PostgreSQL "$PG_HOST" "$PG_PORT" pg_up start_postgres postgresql
ensure_pg_login
ensure_service RabbitMQ "$AMQP_HOST" "$AMQP_PORT" rabbit_up start_rabbitmq rabbitmq-server

if [ "$WANT_TEST" -eq 1 ]; then
    ensure_chromium
    ensure_ffmpeg
    ensure_rabbit_management
fi

"$VENV/bin/relaydesk" migrate
