# shellcheck shell=bash
# Config file writers for the OpenStack lab. All output goes under $OS_ETC; Debian's /etc/* is only read
# (paste files are copied from it).

db_url() { printf 'mysql+pymysql://openstack:%s@%s:%s/%s?charset=utf8' "$DB_PASS" "$CTRL" "$PORT_MYSQL" "$1"; }
amqp_url() { printf 'rabbit://openstack:%s@%s:%s/' "$RABBIT_PASS" "$CTRL" "$PORT_AMQP"; }

# auth_section SECTION USER: keystoneauth password plugin options for a service user.
auth_section() {
  cat <<EOF
[$1]
auth_url = http://$CTRL:$PORT_KEYSTONE
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $SERVICE_PASS
region_name = $REGION
EOF
}

authtoken_section() {
  auth_section keystone_authtoken "$1"
  cat <<EOF
www_authenticate_uri = http://$CTRL:$PORT_KEYSTONE
service_token_roles_required = true
EOF
}

# ceph_client_conf SITE: OpenStack's own client conf for a site, derived from the lab's cluster conf.
# Timeouts keep a vanished cluster from hanging a worker forever in rbd_open() (openstack-facts.md).
ceph_client_conf() {
  local site=$1 src fsid mon
  src=$CEPH_DIR/$site.conf
  [[ -f $src ]] || die "missing Ceph conf $src (is the Ceph part of the lab up?)"
  fsid=$(ceph-conf -c "$src" --lookup fsid) || die "no fsid in $src"
  mon=$(ceph-conf -c "$src" --lookup mon_host) || die "no mon_host in $src"
  mkdir -p "$OS_DIR/ceph"
  cat >"$OS_DIR/ceph/$site.conf" <<EOF
# Written by test/lab/openstack/openstack.sh from $src
[global]
fsid = $fsid
mon_host = $mon
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
keyring = $CEPH_DIR/$site.client.admin.keyring
rados_osd_op_timeout = 30
rados_mon_op_timeout = 30
client_mount_timeout = 30
log_file =
admin_socket =
[client]
rbd_cache = true
EOF
}

write_mariadb_conf() {
  mkdir -p "$OS_DIR/mariadb/tmp"
  cat >"$OS_DIR/mariadb/my.cnf" <<EOF
[mysqld]
user = root
datadir = $OS_DIR/mariadb/data
socket = $OS_DIR/mariadb/mysqld.sock
pid-file = $OS_DIR/mariadb/mysqld.pid
# Not /tmp: other jobs on this machine clean /tmp and made mariadb-install-db fail ("Error on delete of
# '/tmp/#sql-temptable-...MAI'").
tmpdir = $OS_DIR/mariadb/tmp
bind-address = $CTRL
port = $PORT_MYSQL
skip-name-resolve
log-error = $OS_LOG/mariadb-server.log
lc-messages-dir = /usr/share/mysql
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
max_connections = 400
performance_schema = OFF
skip-log-bin
innodb_buffer_pool_size = 128M
innodb_log_file_size = 64M
# Lab only: trade durability for db_sync speed on a 2-core box.
innodb_flush_log_at_trx_commit = 0
innodb_doublewrite = 0
sync_binlog = 0
[client]
socket = $OS_DIR/mariadb/mysqld.sock
EOF
}

write_rabbitmq_conf() {
  local d=$OS_DIR/rabbitmq
  mkdir -p "$d/mnesia" "$OS_LOG/rabbitmq"
  cat >"$d/rabbitmq.conf" <<EOF
listeners.tcp.1 = $CTRL:$PORT_AMQP
loopback_users = none
default_vhost = /
default_user = openstack
default_pass = $RABBIT_PASS
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.file.level = warning
log.console = false
disk_free_limit.absolute = 50MB
management.tcp.port = 0
EOF
  printf '[].\n' >"$d/enabled_plugins"
  : >"$d/rabbitmq-env.conf"
  printf '[].\n' >"$d/advanced.config"
  if [[ ! -f $d/.erlang.cookie ]]; then
    (umask 077 && head -c 15 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$d/.erlang.cookie")
  fi
}

write_keystone_conf() {
  local d=$OS_ETC/keystone
  mkdir -p "$d" "$OS_DIR/keystone/fernet-keys" "$OS_DIR/keystone/credential-keys"
  cat >"$d/keystone.conf" <<EOF
[DEFAULT]
log_file = $OS_LOG/keystone-app.log
[database]
connection = $(db_url keystone)
[token]
provider = fernet
expiration = 86400
[fernet_tokens]
key_repository = $OS_DIR/keystone/fernet-keys
[credential]
key_repository = $OS_DIR/keystone/credential-keys
[identity]
# Lab: cheap bcrypt. Every CLI call authenticates with a password; at 12 rounds that was seconds per call on a
# loaded 2-core box.
password_hash_rounds = 4
[cache]
# In-process cache (no memcached): token validation and catalog lookups stop hitting MariaDB on every request.
enabled = true
backend = dogpile.cache.memory
EOF
  cat >"$d/uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
master = true
processes = 1
threads = 4
enable-threads = true
http-socket = $CTRL:$PORT_KEYSTONE
wsgi-file = /usr/bin/keystone-wsgi-public
buffer-size = 65535
# python-requests sees connection resets from uwsgi's keep-alive otherwise (openstack-facts.md)
add-header = Connection: close
lazy-apps = true
die-on-term = true
no-orphans = true
need-app = true
env = OS_KEYSTONE_CONFIG_FILES=$d/keystone.conf
chdir = $OS_DIR
EOF
}

write_glance_conf() {
  local d=$OS_ETC/glance backends stores
  mkdir -p "$d" "$OS_DIR/glance/staging" "$OS_DIR/glance/tasks" "$OS_DIR/glance/dcn1" "$OS_DIR/glance/image-cache"
  cp /etc/glance/glance-api-paste.ini "$d/glance-api-paste.ini"
  sed -i "s|^disable_by_file_path = .*|disable_by_file_path = $OS_DIR/glance/healthcheck_disable|" "$d/glance-api-paste.ini"
  if with_site_b; then
    backends="central:rbd, dcn0:rbd, dcn1:file"
  else
    backends="central:rbd, dcn1:file"
  fi
  cat >"$d/glance-api.conf" <<EOF
[DEFAULT]
bind_host = $CTRL
bind_port = $PORT_GLANCE
workers = 1
log_file = $OS_LOG/glance-api-app.log
show_image_direct_url = True
enabled_backends = $backends
enabled_import_methods = [glance-direct,web-download,copy-image]
worker_self_reference_url = http://$CTRL:$PORT_GLANCE
image_cache_dir = $OS_DIR/glance/image-cache
transport_url = $(amqp_url)
[database]
connection = $(db_url glance)
$(authtoken_section glance)
[paste_deploy]
flavor = keystone
config_file = $d/glance-api-paste.ini
[glance_store]
default_backend = central
[central]
store_description = $CLOUD_SITE Ceph, pool images
rbd_store_ceph_conf = $OS_DIR/ceph/$CLOUD_SITE.conf
rbd_store_user = admin
rbd_store_pool = images
rbd_store_chunk_size = 8
[dcn1]
store_description = controller-local file store (no Ceph)
filesystem_store_datadir = $OS_DIR/glance/dcn1
[os_glance_staging_store]
filesystem_store_datadir = $OS_DIR/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $OS_DIR/glance/tasks
[oslo_concurrency]
lock_path = $OS_DIR/glance/lock
[oslo_messaging_notifications]
driver = noop
[image_import_opts]
image_import_plugins = []
EOF
  if with_site_b; then
    cat >>"$d/glance-api.conf" <<EOF
[dcn0]
store_description = site-b Ceph, pool images
rbd_store_ceph_conf = $OS_DIR/ceph/site-b.conf
rbd_store_user = admin
rbd_store_pool = images
rbd_store_chunk_size = 8
EOF
  fi
}

# write_eventlet_conf DIR: an override read after the service conf by the eventlet daemons (not by uwsgi apps).
# heartbeat_in_pthread = true is right for nova-api under uwsgi (openstack-facts.md) but wrong for eventlet
# services: the pthread heartbeat switches greenlets across threads and the daemon hangs for good on
# "greenlet.error: cannot switch to a different thread" (seen on a nova-compute restart during the re-point; the
# oslo.messaging guidance is false for non-WSGI services).
write_eventlet_conf() {
  cat >"$1/eventlet.conf" <<EOF
# Written by test/lab/openstack/conf.sh: passed after the service conf to eventlet (non-WSGI) daemons.
[oslo_messaging_rabbit]
heartbeat_in_pthread = false
EOF
}

write_cinder_conf() {
  local d=$OS_ETC/cinder
  mkdir -p "$d" "$OS_DIR/cinder/state" "$OS_DIR/cinder/lock"
  write_eventlet_conf "$d"
  cp /etc/cinder/api-paste.ini "$d/api-paste.ini"
  cat >"$d/cinder.conf" <<EOF
[DEFAULT]
my_ip = $CTRL
host = controller
osapi_volume_listen = $CTRL
osapi_volume_listen_port = $PORT_CINDER
osapi_volume_workers = 1
auth_strategy = keystone
transport_url = $(amqp_url)
enabled_backends = ceph
default_volume_type = standard
state_path = $OS_DIR/cinder/state
api_paste_config = $d/api-paste.ini
glance_api_servers = http://$CTRL:$PORT_GLANCE
rootwrap_config = /etc/cinder/rootwrap.conf
[database]
connection = $(db_url cinder)
$(authtoken_section cinder)
$(auth_section service_user cinder)
send_service_user_token = true
$(auth_section nova cinder)
interface = public
[oslo_concurrency]
lock_path = $OS_DIR/cinder/lock
[oslo_messaging_notifications]
driver = noop
[oslo_messaging_rabbit]
heartbeat_in_pthread = true
[ceph]
volume_driver = cinder.volume.drivers.rbd.RBDDriver
volume_backend_name = ceph
rbd_pool = volumes
rbd_ceph_conf = $OS_DIR/ceph/$CLOUD_SITE.conf
rbd_cluster_name = $CLOUD_SITE
rbd_user = admin
rbd_secret_uuid = $RBD_SECRET_UUID
rbd_flatten_volume_from_snapshot = false
report_discard_supported = true
EOF
  if with_site_b; then
    # backend_id doubles as the librados cluster name of the target (openstack-facts.md).
    printf 'replication_device = backend_id:site-b,conf:%s,user:admin\n' "$OS_DIR/ceph/site-b.conf" >>"$d/cinder.conf"
  fi
}

write_placement_conf() {
  local d=$OS_ETC/placement
  mkdir -p "$d"
  cat >"$d/placement.conf" <<EOF
[DEFAULT]
log_file = $OS_LOG/placement-app.log
[placement_database]
connection = $(db_url placement)
[api]
auth_strategy = keystone
$(authtoken_section placement)
EOF
  cat >"$d/uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
master = true
processes = 1
threads = 2
enable-threads = true
http-socket = $CTRL:$PORT_PLACEMENT
wsgi-file = /usr/bin/placement-api
buffer-size = 65535
add-header = Connection: close
lazy-apps = true
die-on-term = true
no-orphans = true
need-app = true
env = OS_PLACEMENT_CONFIG_DIR=$d
chdir = $OS_DIR
EOF
}

write_nova_conf() {
  local d=$OS_ETC/nova
  mkdir -p "$d" "$OS_DIR/nova/state" "$OS_DIR/nova/instances" "$OS_DIR/nova/lock"
  write_eventlet_conf "$d"
  cp /etc/nova/api-paste.ini "$d/api-paste.ini"
  cat >"$d/nova.conf" <<EOF
[DEFAULT]
my_ip = $CTRL
host = controller
state_path = $OS_DIR/nova/state
instances_path = $OS_DIR/nova/instances
transport_url = $(amqp_url)
compute_driver = fake.FakeDriver
enabled_apis = osapi_compute
rootwrap_config = /etc/nova/rootwrap.conf
[api]
auth_strategy = keystone
[api_database]
connection = $(db_url nova_api)
[database]
connection = $(db_url nova)
[wsgi]
api_paste_config = $d/api-paste.ini
$(authtoken_section nova)
$(auth_section placement nova)
$(auth_section neutron nova)
$(auth_section service_user nova)
send_service_user_token = true
[cinder]
os_region_name = $REGION
catalog_info = volumev3::publicURL
[glance]
region_name = $REGION
[scheduler]
discover_hosts_in_cells_interval = -1
workers = 1
[conductor]
workers = 1
[oslo_concurrency]
lock_path = $OS_DIR/nova/lock
[oslo_messaging_rabbit]
heartbeat_in_pthread = true
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
[spice]
enabled = false
[libvirt]
images_type = rbd
images_rbd_pool = vms
images_rbd_ceph_conf = $OS_DIR/ceph/$CLOUD_SITE.conf
rbd_user = admin
rbd_secret_uuid = $RBD_SECRET_UUID
EOF
  cat >"$d/uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
master = true
processes = 1
# threads > 1 made volume attach fail with MessagingTimeout after 60 s (openstack-facts.md)
threads = 1
enable-threads = true
http-socket = $CTRL:$PORT_NOVA
wsgi-file = /usr/bin/nova-api-wsgi
buffer-size = 65535
add-header = Connection: close
lazy-apps = true
die-on-term = true
no-orphans = true
need-app = true
env = OS_NOVA_CONFIG_DIR=$d
chdir = $OS_DIR
EOF
  # nova-compute from python3-nova without the nova-compute package (which pulls libvirt/qemu).
  mkdir -p "$OS_DIR/bin"
  # The fake driver keeps its guests in memory only: after a nova-compute restart (the migration's re-point
  # restarts it) it knew none of them: `server start` failed with InstanceNotFound and the power-state sync would
  # have stopped the running ones. Real guests outlive a nova-compute restart, so the wrapper makes the fake
  # driver adopt a guest it does not know in the power state Nova recorded.
  cat >"$OS_DIR/bin/nova-compute" <<'EOF'
#!/usr/bin/python3
import sys
from nova.cmd.compute import main
from nova.compute import power_state
from nova.virt import fake


def _adopting(method):
    def wrapper(self, *args, **kwargs):
        instance = kwargs.get("instance") or next(a for a in args if hasattr(a, "uuid"))
        if instance.uuid not in self.instances:
            state = instance.power_state if instance.power_state is not None else power_state.SHUTDOWN
            self.instances[instance.uuid] = fake.FakeInstance(instance.name, state, instance.uuid)
        return method(self, *args, **kwargs)
    return wrapper


for name in ("get_info", "power_on", "power_off", "reboot"):
    setattr(fake.FakeDriver, name, _adopting(getattr(fake.FakeDriver, name)))
if __name__ == "__main__":
    sys.exit(main())
EOF
  chmod 755 "$OS_DIR/bin/nova-compute"
}

write_neutron_conf() {
  local d=$OS_ETC/neutron
  mkdir -p "$d" "$OS_DIR/neutron/state" "$OS_DIR/neutron/lock"
  cp /etc/neutron/api-paste.ini "$d/api-paste.ini"
  cat >"$d/neutron.conf" <<EOF
[DEFAULT]
bind_host = $CTRL
bind_port = $PORT_NEUTRON
core_plugin = ml2
service_plugins =
auth_strategy = keystone
transport_url = $(amqp_url)
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
state_path = $OS_DIR/neutron/state
api_paste_config = $d/api-paste.ini
[database]
connection = $(db_url neutron)
$(authtoken_section neutron)
[oslo_concurrency]
lock_path = $OS_DIR/neutron/lock
[oslo_messaging_notifications]
driver = noop
[agent]
root_helper =
EOF
  # get_ports() reads Port.port_forwardings, a backref that exists only once the port-forwarding model is
  # imported and the mappers configured; in the api worker that did not always happen first (HTTP 500
  # "type object 'Port' has no attribute 'port_forwardings'" to Nova's port lookups). Do it before main().
  mkdir -p "$OS_DIR/bin"
  cat >"$OS_DIR/bin/neutron-server" <<'PYEOF'
#!/usr/bin/python3
import sys
from neutron.cmd.eventlet.server import main
import neutron.db.models.port_forwarding  # noqa: F401
from sqlalchemy import orm
orm.configure_mappers()
if __name__ == "__main__":
    sys.exit(main())
PYEOF
  chmod 755 "$OS_DIR/bin/neutron-server"
  cat >"$d/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers =
extension_drivers =
[ml2_type_flat]
flat_networks = *
EOF
}
