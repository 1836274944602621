#!/usr/bin/env bash
# The operator's part of the migration wizard's "Re-point" step, for the lab's hand-run OpenStack: point Glance,
# Cinder and Nova at site-b (client conf with site-b's fsid and monitors, config keys rewritten), then restart the
# services that hold RBD connections. Real deployments do this with juju/kolla/TripleO; the wizard only verifies.
# Env: SWITCHYARD_LAB_DIR, SWITCHYARD_LAB_NET (as for lab.sh). Run as root on the lab machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../lab/openstack/lib.sh"
src=$CEPH_DIR/site-b.conf
fsid=$(ceph-conf -c "$src" --lookup fsid)
mon=$(ceph-conf -c "$src" --lookup mon_host)
mkdir -p "$OS_DIR/ceph"
cat >"$OS_DIR/ceph/site-b.conf.tmp" <<CONF
# Written by test/integration/support/repoint-lab-cloud.sh from $src
[global]
fsid = $fsid
mon_host = $mon
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
keyring = $CEPH_DIR/site-b.client.admin.keyring
rados_osd_op_timeout = 30
rados_mon_op_timeout = 30
client_mount_timeout = 30
log_file =
admin_socket =
[client]
rbd_cache = true
CONF
mv "$OS_DIR/ceph/site-b.conf.tmp" "$OS_DIR/ceph/site-b.conf"
chmod 0644 "$OS_DIR/ceph/site-b.conf"
for f in "$OS_ETC/glance/glance-api.conf" "$OS_ETC/cinder/cinder.conf" "$OS_ETC/nova/nova.conf"; do
  sed -i -e "s#$OS_DIR/ceph/site-a.conf#$OS_DIR/ceph/site-b.conf#g" -e 's#^rbd_cluster_name = site-a$#rbd_cluster_name = site-b#' "$f"
done
for n in glance-api cinder-volume cinder-scheduler cinder-api nova-compute; do os_stop "$n" 20; done
os_start glance-api glance-api --config-file "$OS_ETC/glance/glance-api.conf"
c=$OS_ETC/cinder/cinder.conf
os_start cinder-api cinder-api --config-file "$c" --log-file "$OS_LOG/cinder-api-app.log"
os_start cinder-scheduler cinder-scheduler --config-file "$c" --log-file "$OS_LOG/cinder-scheduler-app.log"
os_start cinder-volume cinder-volume --config-file "$c" --log-file "$OS_LOG/cinder-volume-app.log"
n=$OS_ETC/nova/nova.conf
os_start nova-compute "$OS_DIR/bin/nova-compute" --config-file "$n" --log-file "$OS_LOG/nova-compute-app.log"
# APIs answering again before the wizard goes on.
for url in "http://$CTRL:$PORT_GLANCE/" "http://$CTRL:$PORT_CINDER/"; do
  for _ in $(seq 1 120); do curl -s -o /dev/null "$url" && break; sleep 0.5; done
done
echo "re-pointed to site-b (fsid $fsid)"
