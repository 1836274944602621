# shellcheck shell=bash
# OpenStack lab: settings and process helpers shared by openstack.sh and seed.sh.
# Everything lives under $SWITCHYARD_LAB_DIR/openstack; nothing is written to /etc/{keystone,glance,cinder,nova}.
# Daemons: started with setsid (pid == process group id), pid file under $OS_RUN, stopped by pid then group,
# never by name. PID 1 here does not reap, so a zombie counts as dead.

: "${SWITCHYARD_LAB_DIR:=/var/tmp/switchyard-lab}"
: "${SWITCHYARD_LAB_NET:=127.10.0}"
: "${SWITCHYARD_LAB_PROFILE:=default}"
export SWITCHYARD_LAB_DIR SWITCHYARD_LAB_NET SWITCHYARD_LAB_PROFILE
# pyenv shims may shadow the Debian interpreter that has the OpenStack modules.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/bin

OS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_DIR=${SWITCHYARD_LAB_DIR%/}
NET=$SWITCHYARD_LAB_NET
PROFILE=$SWITCHYARD_LAB_PROFILE
[[ $NET =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || { echo "SWITCHYARD_LAB_NET must look like 127.X.Y (got '$NET')" >&2; exit 2; }
NET_O2=${BASH_REMATCH[1]}
NET_O3=${BASH_REMATCH[2]}
[[ $PROFILE == default || $PROFILE == migration ]] || { echo "SWITCHYARD_LAB_PROFILE must be default or migration" >&2; exit 2; }

OS_DIR=$LAB_DIR/openstack
OS_RUN=$OS_DIR/run
OS_LOG=$OS_DIR/log
OS_ETC=$OS_DIR/etc
CTRL=$NET.31
SITE_A_IP=$NET.11
SITE_B_IP=$NET.21
CEPH_DIR=$LAB_DIR/ceph
CLOUD=switchyard-lab
REGION=RegionOne
PY=/usr/bin/python3

PORT_KEYSTONE=5000
PORT_GLANCE=9292
PORT_CINDER=8776
PORT_NOVA=8774
PORT_PLACEMENT=8778
PORT_NEUTRON=9696
PORT_MYSQL=3306
PORT_AMQP=5672
# epmd listens on 127.0.0.1 as well as on the controller address, so its port (and the Erlang distribution
# port beside it) must differ per lab: derive both from the lab net.
PORT_EPMD=$((24000 + ((NET_O2 * 256 + NET_O3) % 4000) * 2))
PORT_DIST=$((PORT_EPMD + 1))

KEYSTONE_URL=http://$CTRL:$PORT_KEYSTONE/v3
# Every daemon we start carries this marker in its environment: a pid file is believed only when the process
# behind it has it, so a recycled pid is never mistaken for ours.
export SWY_OS_MARK=$OS_DIR

ts() { date -u +%H:%M:%S; }
log() { printf '[openstack %s] %s\n' "$(ts)" "$*" >&2; }
warn() { printf '[openstack %s] WARNING: %s\n' "$(ts)" "$*" >&2; }
die() { printf '[openstack %s] ERROR: %s\n' "$(ts)" "$*" >&2; exit 1; }

log_tail() {
  local file=$1 n=${2:-40}
  if [[ -f $file ]]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$file" >&2
    tail -n "$n" "$file" >&2
    printf -- '-----\n' >&2
  else
    printf -- '(no log file %s)\n' "$file" >&2
  fi
}

proc_alive() {
  local pid=$1 stat state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  state=${stat##*) }
  state=${state%% *}
  [[ $state != Z && $state != X ]]
}

os_pidfile() { printf '%s/%s.pid' "$OS_RUN" "$1"; }
os_logfile() { printf '%s/%s.log' "$OS_LOG" "$1"; }

# os_pid NAME: pid of our running daemon NAME.
os_pid() {
  local pf pid
  pf=$(os_pidfile "$1")
  [[ -f $pf ]] || return 1
  pid=$(<"$pf")
  proc_alive "$pid" || return 1
  # setproctitle (oslo services) overwrites the environ area, so the command line also counts.
  if ! tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF -- "SWY_OS_MARK=$OS_DIR" &&
    ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$OS_DIR/"; then
    return 1
  fi
  printf '%s\n' "$pid"
}

# os_start NAME CMD...: start CMD in its own session (stdout/stderr to NAME's log) unless already running.
os_start() {
  local name=$1 pid logf
  shift
  if pid=$(os_pid "$name"); then
    return 0
  fi
  logf=$(os_logfile "$name")
  mkdir -p "$OS_RUN" "$OS_LOG"
  printf '===== %s start %s\n' "$(date -u +%FT%TZ)" "$*" >>"$logf"
  # The subshell is not a group leader, so setsid(1) calls setsid() and execs in place: $! is the daemon.
  # 9>&-: never inherit lab.sh's lock descriptor (a daemon holding it would block every later lab.sh).
  (cd "$OS_DIR" && exec 9>&- && exec setsid "$@" </dev/null >>"$logf" 2>&1) &
  pid=$!
  printf '%s\n' "$pid" >"$(os_pidfile "$name")"
  sleep 0.3
  if ! proc_alive "$pid"; then
    warn "$name exited right after start"
    log_tail "$logf"
    rm -f "$(os_pidfile "$name")"
    return 1
  fi
}

# os_stop NAME [GRACE]: SIGTERM by pid, wait, then SIGKILL the process group.
os_stop() {
  local name=$1 grace=${2:-15} pid i
  if ! pid=$(os_pid "$name"); then
    rm -f "$(os_pidfile "$name")"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 5; i++)); do
    proc_alive "$pid" || break
    sleep 0.2
  done
  proc_alive "$pid" && warn "$name (pid $pid) ignored SIGTERM for ${grace}s; killing its process group"
  # Workers (uwsgi, oslo.service) share the group: take them down too.
  kill -KILL -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 25; i++)); do
    proc_alive "$pid" || break
    sleep 0.2
  done
  if proc_alive "$pid"; then
    warn "$name (pid $pid) still alive after SIGKILL"
    return 1
  fi
  rm -f "$(os_pidfile "$name")"
}

# os_wait NAME TIMEOUT DESC CMD...: poll CMD until it succeeds; fail early if NAME died; bounded.
os_wait() {
  local name=$1 timeout=$2 desc=$3 start
  shift 3
  start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if [[ -n $name ]] && ! os_pid "$name" >/dev/null; then
      warn "$name died while waiting for: $desc"
      log_tail "$(os_logfile "$name")"
      return 1
    fi
    if ((SECONDS - start >= timeout)); then
      warn "timed out after ${timeout}s waiting for: $desc"
      [[ -n $name ]] && log_tail "$(os_logfile "$name")"
      return 1
    fi
    sleep 0.5
  done
}

# http_answers URL: any HTTP status counts as an answer (readiness, not health).
http_answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1") || return 1
  [[ $code != 000 ]]
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Generated secrets (never committed: they live in the lab dir).
load_secrets() {
  local f=$OS_DIR/secrets.env
  if [[ ! -f $f ]]; then
    mkdir -p "$OS_DIR"
    umask 077
    {
      local k
      for k in DB_PASS RABBIT_PASS ADMIN_PASS SERVICE_PASS; do
        printf '%s=%s\n' "$k" "$(head -c 18 /dev/urandom | base64 | tr -d '+/=')"
      done
      printf 'RBD_SECRET_UUID=%s\n' "$(cat /proc/sys/kernel/random/uuid)"
    } >"$f"
    umask 022
  fi
  # shellcheck disable=SC1090
  source "$f"
}

os_auth_env() {
  export OS_AUTH_URL=$KEYSTONE_URL OS_IDENTITY_API_VERSION=3 OS_USERNAME=admin OS_PASSWORD=$ADMIN_PASS \
    OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=$REGION \
    OS_INTERFACE=public
}

# The cluster Glance's `central` store, Cinder's backend and Nova's images_rbd_* use: site-a until the cloud is
# re-pointed (`openstack.sh repoint site-b`, the migration wizard's manual step), remembered across restarts.
CLOUD_SITE_FILE=$OS_DIR/state/ceph-site
CLOUD_SITE=site-a
if [[ -f $CLOUD_SITE_FILE ]]; then
  CLOUD_SITE=$(<"$CLOUD_SITE_FILE")
  [[ $CLOUD_SITE == site-a || $CLOUD_SITE == site-b ]] || { echo "bad cloud site in $CLOUD_SITE_FILE" >&2; exit 2; }
fi
export CLOUD_SITE

# Is site-b usable by OpenStack in this profile (dcn0 store, Cinder replication target)?
with_site_b() { [[ $PROFILE == default ]]; }
