#!/usr/bin/env bash
# OpenStack Zed (Debian packages) for the Switchyard lab, run by hand on the controller address $NET.31:
# MariaDB, RabbitMQ, Keystone, Glance (multistore), Cinder (RBD + replication), Placement, Nova (fake driver),
# a network endpoint for Nova (network-endpoint.py; neutron-server with SWITCHYARD_LAB_NEUTRON=1).
# Called by test/lab/lab.sh after Ceph and sshd are up. See test/lab/README-openstack.md.
#
#   openstack.sh up [SERVICE...]   start (and on first run: install, configure, bootstrap, seed)
#   openstack.sh down              stop every daemon of this lab (data kept)
#   openstack.sh status            one line per daemon; exit 1 if any is down
#   openstack.sh repoint SITE      point Glance/Cinder/Nova at SITE's cluster and restart them (migration profile)
#
# Env: SWITCHYARD_LAB_DIR, SWITCHYARD_LAB_NET (127.X.Y), SWITCHYARD_LAB_PROFILE (default|migration).
# SWITCHYARD_LAB_NO_SEED=1 skips seed.sh.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=conf.sh
source "$OS_HERE/conf.sh"

OS_PACKAGES=(keystone glance-api cinder-api cinder-scheduler cinder-volume python3-openstackclient
  python3-glanceclient python3-cinderclient python3-novaclient python3-rbd python3-rados mariadb-server
  rabbitmq-server nova-api nova-conductor nova-scheduler placement-api uwsgi-core uwsgi-plugin-python3
  neutron-server python3-pymysql curl jq ceph-common)
# Start order; down goes in reverse.
ALL_DAEMONS=(mariadb epmd rabbitmq keystone glance-api cinder-api cinder-scheduler cinder-volume placement-api
  neutron-server network-endpoint nova-api nova-conductor nova-scheduler nova-compute)

ensure_packages() {
  local p st missing=()
  for p in "${OS_PACKAGES[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ $st == installed ]] || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  ((EUID == 0)) || die "missing packages (install as root): ${missing[*]}"
  log "installing ${missing[*]}"
  mkdir -p "$OS_LOG"
  local created=0 rc=0
  # Debian postinst scripts would start system-wide services: policy-rc.d exiting 101 forbids that.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
    "${missing[@]}" >"$OS_LOG/apt.log" 2>&1 || rc=$?
  ((created)) && rm -f /usr/sbin/policy-rc.d
  if ((rc != 0)); then
    log_tail "$OS_LOG/apt.log"
    die "apt-get install failed (rc=$rc)"
  fi
}

done_marker() { printf '%s/state/%s.done' "$OS_DIR" "$1"; }
is_done() { [[ -f $(done_marker "$1") ]]; }
mark_done() { mkdir -p "$OS_DIR/state" && touch "$(done_marker "$1")"; }

# run_logged NAME CMD...: run a one-shot command with output in NAME's log; print the tail on failure.
run_logged() {
  local name=$1 logf rc=0
  shift
  logf=$(os_logfile "$name")
  mkdir -p "$OS_LOG"
  printf '===== %s %s\n' "$(date -u +%FT%TZ)" "$*" >>"$logf"
  "$@" >>"$logf" 2>&1 || rc=$?
  if ((rc != 0)); then
    warn "$name failed (rc=$rc): $*"
    log_tail "$logf"
  fi
  return "$rc"
}

mysql_root() { mariadb --defaults-file="$OS_DIR/mariadb/my.cnf" -uroot "$@"; }

# ---------------------------------------------------------------- infrastructure
up_mariadb() {
  write_mariadb_conf
  if [[ ! -d $OS_DIR/mariadb/data/mysql ]]; then
    if ! run_logged mariadb-install mariadb-install-db --defaults-file="$OS_DIR/mariadb/my.cnf" \
      --auth-root-authentication-method=socket --skip-test-db; then
      log_tail "$OS_LOG/mariadb-server.log" 15
      rm -rf -- "$OS_DIR/mariadb/data"
      return 1
    fi
  fi
  os_start mariadb /usr/sbin/mariadbd --defaults-file="$OS_DIR/mariadb/my.cnf"
  os_wait mariadb 60 "MariaDB answers on its socket" mysql_root -e 'SELECT 1' || return 1
  local sql="" db
  for db in keystone glance cinder nova_api nova nova_cell0 placement neutron; do
    sql+="CREATE DATABASE IF NOT EXISTS $db; "
  done
  sql+="CREATE USER IF NOT EXISTS 'openstack'@'%' IDENTIFIED BY '$DB_PASS'; "
  sql+="ALTER USER 'openstack'@'%' IDENTIFIED BY '$DB_PASS'; GRANT ALL ON *.* TO 'openstack'@'%'; FLUSH PRIVILEGES;"
  mysql_root -e "$sql"
}

rabbit_env() {
  local d=$OS_DIR/rabbitmq
  RABBIT_ENV=(env HOME="$d" RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf" RABBITMQ_NODENAME=rabbit@localhost \
    RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" RABBITMQ_MNESIA_BASE="$d/mnesia" \
    RABBITMQ_LOG_BASE="$OS_LOG/rabbitmq" RABBITMQ_PID_FILE="$d/rabbit.pid" \
    RABBITMQ_DIST_PORT="$PORT_DIST" ERL_EPMD_PORT="$PORT_EPMD" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {${CTRL//./,}}")
}

amqp_login() {
  "$PY" - "$CTRL" "$PORT_AMQP" "$RABBIT_PASS" <<'EOF'
import sys, amqp
c = amqp.Connection(host=f"{sys.argv[1]}:{sys.argv[2]}", userid="openstack", password=sys.argv[3],
                    virtual_host="/", connect_timeout=3)
c.connect(); c.close()
EOF
}

up_rabbitmq() {
  write_rabbitmq_conf
  # Our own epmd on a per-lab port (it also listens on 127.0.0.1, so the port must differ between labs);
  # started first so that erl does not spawn a detached one outside our process group.
  os_start epmd env ERL_EPMD_ADDRESS="$CTRL" /usr/bin/epmd -port "$PORT_EPMD" -address "$CTRL"
  os_wait epmd 10 "epmd listens" tcp_open 127.0.0.1 "$PORT_EPMD" || return 1
  rabbit_env
  os_start rabbitmq "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
  os_wait rabbitmq 90 "RabbitMQ accepts an AMQP login" amqp_login || return 1
}

# ---------------------------------------------------------------- keystone
keystone_manage() { keystone-manage --config-file "$OS_ETC/keystone/keystone.conf" "$@"; }

sync_keystone() {
  is_done keystone-db && return 0
  run_logged keystone-manage keystone_manage db_sync || return 1
  mark_done keystone-db
}

up_keystone() {
  write_keystone_conf
  if ! is_done keystone-keys; then
    run_logged keystone-manage keystone_manage fernet_setup --keystone-user root --keystone-group root || return 1
    run_logged keystone-manage keystone_manage credential_setup --keystone-user root --keystone-group root || return 1
    mark_done keystone-keys
  fi
  if ! is_done keystone-bootstrap; then
    run_logged keystone-manage keystone_manage bootstrap --bootstrap-password "$ADMIN_PASS" \
      --bootstrap-admin-url "$KEYSTONE_URL/" --bootstrap-internal-url "$KEYSTONE_URL/" \
      --bootstrap-public-url "$KEYSTONE_URL/" --bootstrap-region-id "$REGION" || return 1
    mark_done keystone-bootstrap
  fi
  os_start keystone uwsgi --ini "$OS_ETC/keystone/uwsgi.ini"
  os_wait keystone 90 "Keystone answers" http_answers "$KEYSTONE_URL" || return 1
  if ! is_done keystone-catalog; then
    os_auth_env
    CTRL=$CTRL REGION=$REGION SERVICE_PASS=$SERVICE_PASS PORT_GLANCE=$PORT_GLANCE PORT_CINDER=$PORT_CINDER \
      PORT_NOVA=$PORT_NOVA PORT_PLACEMENT=$PORT_PLACEMENT PORT_NEUTRON=$PORT_NEUTRON \
      run_logged keystone-bootstrap "$PY" "$OS_HERE/bootstrap-keystone.py" || return 1
    mark_done keystone-catalog
  fi
}

# ---------------------------------------------------------------- db syncs (run in parallel)
sync_glance() {
  is_done glance-db && return 0
  run_logged glance-manage glance-manage --config-file "$OS_ETC/glance/glance-api.conf" db_sync || return 1
  mark_done glance-db
}
sync_cinder() {
  is_done cinder-db && return 0
  run_logged cinder-manage cinder-manage --config-file "$OS_ETC/cinder/cinder.conf" db sync || return 1
  mark_done cinder-db
}
sync_placement() {
  is_done placement-db && return 0
  run_logged placement-manage placement-manage --config-file "$OS_ETC/placement/placement.conf" db sync || return 1
  mark_done placement-db
}
nova_manage() { nova-manage --config-file "$OS_ETC/nova/nova.conf" "$@"; }
sync_nova() {
  is_done nova-db && return 0
  run_logged nova-manage nova_manage api_db sync || return 1
  if ! nova_manage cell_v2 list_cells 2>/dev/null | grep -q ' cell0 '; then
    run_logged nova-manage nova_manage cell_v2 map_cell0 --database_connection "$(db_url nova_cell0)" || return 1
  fi
  if ! nova_manage cell_v2 list_cells 2>/dev/null | grep -q ' cell1 '; then
    run_logged nova-manage nova_manage cell_v2 create_cell --name cell1 \
      --database_connection "$(db_url nova)" --transport-url "$(amqp_url)" || return 1
  fi
  run_logged nova-manage nova_manage db sync || return 1
  mark_done nova-db
}
sync_neutron() {
  is_done neutron-db && return 0
  run_logged neutron-db-manage neutron-db-manage --config-file "$OS_ETC/neutron/neutron.conf" \
    --config-file "$OS_ETC/neutron/ml2_conf.ini" upgrade heads || return 1
  mark_done neutron-db
}

# ---------------------------------------------------------------- API services and workers
up_glance() {
  os_start glance-api glance-api --config-file "$OS_ETC/glance/glance-api.conf"
}
wait_glance() {
  os_wait glance-api 120 "Glance answers" http_answers "http://$CTRL:$PORT_GLANCE/" || return 1
}

up_cinder() {
  local c=$OS_ETC/cinder/cinder.conf
  local e=$OS_ETC/cinder/eventlet.conf
  os_start cinder-api cinder-api --config-file "$c" --config-file "$e" --log-file "$OS_LOG/cinder-api-app.log"
  os_start cinder-scheduler cinder-scheduler --config-file "$c" --config-file "$e" \
    --log-file "$OS_LOG/cinder-scheduler-app.log"
  os_start cinder-volume cinder-volume --config-file "$c" --config-file "$e" --log-file "$OS_LOG/cinder-volume-app.log"
}
wait_cinder() {
  os_wait cinder-api 120 "Cinder API answers" http_answers "http://$CTRL:$PORT_CINDER/" || return 1
}

up_placement() {
  os_start placement-api uwsgi --ini "$OS_ETC/placement/uwsgi.ini"
}
wait_placement() {
  os_wait placement-api 120 "Placement answers" http_answers "http://$CTRL:$PORT_PLACEMENT/" || return 1
}

up_neutron() {
  # Debian's neutron-server failed GET /v2.0/ports here (see README-openstack.md): the lab answers Nova's
  # network lookups with network-endpoint.py instead. SWITCHYARD_LAB_NEUTRON=1 runs neutron-server again.
  if [[ ${SWITCHYARD_LAB_NEUTRON:-0} == 1 ]]; then
    os_start neutron-server "$OS_DIR/bin/neutron-server" --config-file "$OS_ETC/neutron/neutron.conf" \
      --config-file "$OS_ETC/neutron/ml2_conf.ini" --log-file "$OS_LOG/neutron-server-app.log"
  else
    os_start network-endpoint "$PY" "$OS_HERE/network-endpoint.py" "$CTRL" "$PORT_NEUTRON" "$OS_DIR"
  fi
}
wait_neutron() {
  local name=network-endpoint
  [[ ${SWITCHYARD_LAB_NEUTRON:-0} == 1 ]] && name=neutron-server
  os_wait "$name" 150 "network endpoint answers" http_answers "http://$CTRL:$PORT_NEUTRON/" || return 1
}

up_nova() {
  local c=$OS_ETC/nova/nova.conf
  os_start nova-api uwsgi --ini "$OS_ETC/nova/uwsgi.ini"
  local e=$OS_ETC/nova/eventlet.conf
  os_start nova-conductor nova-conductor --config-file "$c" --config-file "$e" --log-file "$OS_LOG/nova-conductor-app.log"
  os_start nova-scheduler nova-scheduler --config-file "$c" --config-file "$e" --log-file "$OS_LOG/nova-scheduler-app.log"
  up_nova_compute
}
up_nova_compute() {
  os_start nova-compute "$OS_DIR/bin/nova-compute" --config-file "$OS_ETC/nova/nova.conf" \
    --config-file "$OS_ETC/nova/eventlet.conf" --log-file "$OS_LOG/nova-compute-app.log"
}
wait_nova() {
  os_wait nova-api 150 "Nova API answers" http_answers "http://$CTRL:$PORT_NOVA/" || return 1
}

compute_host_mapped() {
  nova_manage cell_v2 discover_hosts >/dev/null 2>&1 || return 1
  nova_manage cell_v2 list_hosts 2>/dev/null | grep -q ' controller '
}

post_setup() {
  os_auth_env
  if ! is_done compute-discovered; then
    # The compute node record appears once nova-compute has reported its resources to conductor.
    os_wait nova-compute 120 "nova-compute host is mapped into cell1" compute_host_mapped || return 1
    mark_done compute-discovered
  fi
  if ! is_done volume-types; then
    run_logged volume-types "$PY" "$OS_HERE/volume-types.py" || return 1
    mark_done volume-types
  fi
}

# ---------------------------------------------------------------- client files for the operator
write_client_files() {
  mkdir -p "$OS_DIR/client"
  local yaml=$OS_DIR/client/clouds.yaml rc=$OS_DIR/client/openrc
  (
    umask 077
    cat >"$yaml" <<EOF
# Switchyard lab $LAB_DIR (net $NET): select with OS_CLOUD=$CLOUD and OS_CLIENT_CONFIG_FILE=$yaml
clouds:
  $CLOUD:
    auth:
      auth_url: $KEYSTONE_URL
      username: admin
      password: $ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: $REGION
    interface: public
    identity_api_version: 3
    volume_api_version: 3
    image_api_version: 2
EOF
    cat >"$rc" <<EOF
# Switchyard lab $LAB_DIR (net $NET): admin credentials for the openstack/glance/cinder CLIs.
export OS_AUTH_URL=$KEYSTONE_URL
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=admin
export OS_PASSWORD=$ADMIN_PASS
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=$REGION
export OS_INTERFACE=public
export OS_VOLUME_API_VERSION=3
export OS_IMAGE_API_VERSION=2
EOF
    # Sourced by the operator's login shell on the controller (see ssh-env.sh / HOOKS.md).
    cat >"$OS_DIR/client/env.sh" <<EOF
export OS_CLIENT_CONFIG_FILE=$yaml
export OS_CLOUD=$CLOUD
EOF
  )
  chmod 644 "$OS_DIR/client/env.sh"
  # The operator account must read them (it is not root).
  if id swyop >/dev/null 2>&1; then
    chown -R swyop: "$OS_DIR/client" 2>/dev/null || true
    chmod 755 "$OS_DIR" "$LAB_DIR" 2>/dev/null || true
  fi
  bash "$OS_HERE/ssh-env.sh" || warn "could not hook the operator environment (see test/lab/openstack/HOOKS.md)"
}

# ---------------------------------------------------------------- commands
cmd_up() {
  local t0=$SECONDS want=("$@")
  want_svc() { ((${#want[@]} == 0)) && return 0; local w; for w in "${want[@]}"; do [[ $w == "$1" ]] && return 0; done; return 1; }
  ensure_packages
  mkdir -p "$OS_RUN" "$OS_LOG" "$OS_ETC"
  load_secrets
  log "lab $LAB_DIR, controller $CTRL, profile $PROFILE"
  if want_svc glance || want_svc cinder; then
    ceph_client_conf site-a
    if with_site_b || [[ $CLOUD_SITE == site-b ]]; then ceph_client_conf site-b; fi
  fi
  write_glance_conf
  write_cinder_conf
  write_placement_conf
  write_nova_conf
  write_neutron_conf
  write_keystone_conf

  up_mariadb || die "MariaDB did not come up"
  log "mariadb up ($((SECONDS - t0)) s)"
  # Schema migrations only need MariaDB: run them while RabbitMQ and Keystone start.
  local -A sync_pids=()
  local s
  for s in keystone glance cinder placement nova neutron; do
    want_svc "$s" || [[ $s == keystone ]] || continue
    [[ $s == neutron && ${SWITCHYARD_LAB_NEUTRON:-0} != 1 ]] && continue
    "sync_$s" &
    sync_pids[$s]=$!
  done
  up_rabbitmq || die "RabbitMQ did not come up"
  log "rabbitmq up ($((SECONDS - t0)) s)"
  wait "${sync_pids[keystone]}" || die "keystone db_sync failed"
  up_keystone || die "Keystone did not come up"
  log "keystone up ($((SECONDS - t0)) s)"
  for s in "${!sync_pids[@]}"; do
    [[ $s == keystone ]] && continue
    wait "${sync_pids[$s]}" || die "$s schema migration failed"
  done
  log "schemas synced ($((SECONDS - t0)) s)"
  # Start every API and worker, then wait for each: on 2 cores their Python start-ups overlap usefully.
  for s in glance cinder placement neutron nova; do
    want_svc "$s" && { "up_$s" || die "$s failed to start"; }
  done
  for s in glance cinder placement neutron nova; do
    want_svc "$s" && { "wait_$s" || die "$s did not come up"; }
  done
  log "APIs answer ($((SECONDS - t0)) s)"
  if ((${#want[@]} == 0)); then
    post_setup || die "post-setup failed"
    write_client_files
    "$PY" "$OS_HERE/write-json.py" || die "writing openstack.json failed"
    log "services up in $((SECONDS - t0)) s"
    if [[ ${SWITCHYARD_LAB_NO_SEED:-0} != 1 ]]; then
      bash "$OS_HERE/seed.sh" || die "seed failed"
    fi
    log "openstack up in $((SECONDS - t0)) s; $LAB_DIR/openstack.json written"
  fi
}

# log_has_since LOG N REGEX: LOG (under $OS_LOG) has a line matching REGEX after its line N.
log_has_since() { tail -n +"$(($2 + 1))" "$OS_LOG/$1" 2>/dev/null | grep -qE -- "$3"; }

# repoint SITE: the lab's way of doing the migration wizard's manual "Re-point" step. Real clouds do it with
# juju/kolla/TripleO; here: write OpenStack's client conf for SITE (its fsid + mon_host), point Glance's central
# store, Cinder's backend and Nova's images_rbd_ceph_conf at it, restart the services that hold RBD clients.
cmd_repoint() {
  local site=${1:-} t0=$SECONDS n n_compute
  [[ $site == site-a || $site == site-b ]] || die "usage: openstack.sh repoint site-a|site-b"
  [[ $PROFILE == migration ]] ||
    die "repoint needs the migration profile (in the default profile site-b is the dcn0 store and Cinder's replication target)"
  load_secrets
  ceph_client_conf "$site"
  mkdir -p "$OS_DIR/state"
  printf '%s\n' "$site" >"$CLOUD_SITE_FILE.tmp" && mv "$CLOUD_SITE_FILE.tmp" "$CLOUD_SITE_FILE"
  CLOUD_SITE=$site
  write_glance_conf
  write_cinder_conf
  write_nova_conf
  log "glance-api.conf, cinder.conf, nova.conf now name $OS_DIR/ceph/$site.conf (fsid $(ceph-conf -c "$OS_DIR/ceph/$site.conf" --lookup fsid)); restarting"
  for n in nova-compute cinder-volume cinder-scheduler cinder-api glance-api; do os_stop "$n" 20 || die "could not stop $n"; done
  n=$(wc -l <"$OS_LOG/cinder-volume-app.log" 2>/dev/null || echo 0)
  n_compute=$(wc -l <"$OS_LOG/nova-compute-app.log" 2>/dev/null || echo 0)
  up_glance || die "glance-api failed to start"
  up_cinder || die "cinder failed to start"
  up_nova_compute || die "nova-compute failed to start"
  wait_glance || die "glance-api did not come back"
  wait_cinder || die "cinder-api did not come back"
  os_wait cinder-volume 180 "cinder-volume initialised its RBD driver on $site" log_has_since cinder-volume-app.log "$n" \
    'Driver post RPC initialization completed' ||
    die "cinder-volume did not initialise on $site"
  # Nova's attach calls compute over RPC with a 60 s timeout: the restarted compute must be serving by then.
  os_wait nova-compute 180 "nova-compute started its service" log_has_since nova-compute-app.log "$n_compute" \
    'nova.service .*Starting compute node' || die "nova-compute did not start"
  CLOUD_SITE=$site "$PY" "$OS_HERE/write-json.py" || die "writing openstack.json failed"
  log "cloud re-pointed to $site in $((SECONDS - t0)) s"
}

cmd_down() {
  local i name rc=0
  for ((i = ${#ALL_DAEMONS[@]} - 1; i >= 0; i--)); do
    name=${ALL_DAEMONS[i]}
    if os_pid "$name" >/dev/null; then
      log "stopping $name"
      os_stop "$name" 20 || rc=1
    fi
  done
  return "$rc"
}

cmd_status() {
  local name pid rc=0 rss
  local skip=neutron-server
  [[ ${SWITCHYARD_LAB_NEUTRON:-0} == 1 ]] && skip=network-endpoint
  for name in "${ALL_DAEMONS[@]}"; do
    [[ $name == "$skip" ]] && continue
    if pid=$(os_pid "$name"); then
      # RSS of the whole process group (uwsgi and oslo workers share it).
      rss=$(ps -o rss= -g "$pid" 2>/dev/null | awk '{s+=$1} END {printf "%d", s/1024}')
      printf '%-18s running  pid %-7s rss %5s MiB\n' "$name" "$pid" "$rss"
    else
      printf '%-18s STOPPED\n' "$name"
      rc=1
    fi
  done
  return "$rc"
}

case ${1:-} in
up) shift; cmd_up "$@" ;;
down) cmd_down ;;
status) cmd_status ;;
repoint) shift; cmd_repoint "$@" ;;
*) echo "usage: $0 up [SERVICE...]|down|status|repoint SITE" >&2; exit 2 ;;
esac
