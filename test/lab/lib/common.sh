# shellcheck shell=bash
# Shared helpers: logging, bounded polling, and pid-file process management.
# Every process is started with setsid (so pid == process group id), tracked by a pid file under
# $LAB_RUN_DIR, and stopped by that pid (then its group) -- never by name. PID 1 on the lab machine
# does not reap, so a zombie (state Z) counts as dead.

log() { printf '[lab %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
warn() { printf '[lab %s] WARNING: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf '[lab %s] ERROR: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; exit 1; }

# Print the last lines of a log file, for error reports.
log_tail() {
  local file=$1 n=${2:-30}
  if [[ -f $file ]]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$file" >&2
    tail -n "$n" "$file" >&2
    printf -- '-----\n' >&2
  else
    printf -- '(no log file %s)\n' "$file" >&2
  fi
}

# proc_alive PID: true if the process exists and is not a zombie/dead.
proc_alive() {
  local pid=$1 stat state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  # field 3 follows the parenthesised comm, which may itself contain spaces
  state=${stat##*) }
  state=${state%% *}
  [[ $state != Z && $state != X ]]
}

pidfile_of() { printf '%s/%s.pid' "$LAB_RUN_DIR" "$1"; }

# daemon_pid NAME: print the pid of a running lab daemon. Only a live process whose command line
# mentions this lab's directory counts, so a recycled pid is never mistaken for ours.
daemon_pid() {
  local pf pid
  pf=$(pidfile_of "$1")
  [[ -f $pf ]] || return 1
  pid=$(<"$pf")
  proc_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$LAB_DIR/" || return 1
  printf '%s\n' "$pid"
}

# daemon_start NAME LOGFILE CWD CMD...: start CMD in its own session unless already running.
daemon_start() {
  local name=$1 logfile=$2 cwd=$3 pid
  shift 3
  if pid=$(daemon_pid "$name"); then
    return 0
  fi
  mkdir -p "$LAB_RUN_DIR" "$(dirname "$logfile")"
  # The subshell is never a process-group leader, so setsid(1) calls setsid() and execs in place:
  # $! is the daemon itself and its pid is also its process group id.
  # fd 9 is lab.sh's lock: a daemon must not inherit it, or it would hold the lab lock forever.
  (cd "$cwd" && exec 9>&- && exec setsid "$@" </dev/null >>"$logfile" 2>&1) &
  pid=$!
  printf '%s\n' "$pid" >"$(pidfile_of "$name")"
  # Fail fast on daemons that die at once (bad config, address in use).
  local i
  for i in 1 2 3 4 5; do
    sleep 0.2
    if ! proc_alive "$pid"; then
      warn "$name exited right after start"
      log_tail "$logfile"
      rm -f "$(pidfile_of "$name")"
      return 1
    fi
  done
  return 0
}

# daemon_stop NAME [GRACE_SECONDS] [SIGNAL]: SIGTERM (or SIGNAL) by pid, wait, then SIGKILL the group.
daemon_stop() {
  local name=$1 grace=${2:-15} sig=${3:-TERM} pid i
  if ! pid=$(daemon_pid "$name"); then
    rm -f "$(pidfile_of "$name")"
    return 0
  fi
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 5; i++)); do
    proc_alive "$pid" || break
    sleep 0.2
  done
  if proc_alive "$pid"; then
    warn "$name (pid $pid) ignored SIG$sig for ${grace}s; sending SIGKILL to its process group"
  fi
  kill -KILL -- "-$pid" 2>/dev/null || true
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 25; i++)); do
    proc_alive "$pid" || break
    sleep 0.2
  done
  proc_alive "$pid" && { warn "$name (pid $pid) still alive after SIGKILL"; return 1; }
  rm -f "$(pidfile_of "$name")"
  return 0
}

# children_of PID: direct children (for sshd: one process per open connection).
children_of() {
  ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true
}

# wait_for DESC TIMEOUT_SECONDS CMD...: poll CMD once a second until it succeeds, bounded.
wait_for() {
  local desc=$1 timeout=$2 start now
  shift 2
  start=$(date +%s)
  while true; do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    now=$(date +%s)
    if ((now - start >= timeout)); then
      warn "timed out after ${timeout}s waiting for: $desc"
      return 1
    fi
    sleep 1
  done
}

# missing_packages PKG...: print the packages that are not installed.
missing_packages() {
  local p st
  for p in "$@"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ $st == installed ]] || printf '%s\n' "$p"
  done
}

# ensure_packages PKG...: install what is missing (root), or list it and fail (non-root).
ensure_packages() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  ((${#missing[@]} == 0)) && return 0
  if ((EUID != 0)); then
    printf 'missing packages: %s\n' "${missing[*]}" >&2
    printf 'install them as root: apt-get install -y %s\n' "${missing[*]}" >&2
    exit 1
  fi
  log "installing ${missing[*]}"
  mkdir -p "$LAB_LOG_DIR"
  local created_policy=0
  # Keep Debian maintainer scripts from starting ceph/sshd services on install.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  local rc=0
  # A fresh lab has no log directory yet: packages are installed before anything else is built.
  mkdir -p "$LAB_LOG_DIR"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
    "${missing[@]}" >"$LAB_LOG_DIR/apt.log" 2>&1 || rc=$?
  ((created_policy)) && rm -f /usr/sbin/policy-rc.d
  if ((rc != 0)); then
    log_tail "$LAB_LOG_DIR/apt.log"
    die "apt-get install failed (rc=$rc)"
  fi
}

# json_escape STRING: a JSON string literal.
json_str() { jq -Rn --arg s "$1" '$s'; }

# elapsed START_NS: seconds since START_NS (from `date +%s%N`), one decimal.
elapsed() {
  local ms=$((($(date +%s%N) - $1) / 1000000))
  printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}
