# shellcheck shell=bash
# Lab configuration: every knob comes from the environment, defaults here.
# Two labs coexist when they differ in SWITCHYARD_LAB_DIR and SWITCHYARD_LAB_NET.
: "${SWITCHYARD_LAB_DIR:=/var/tmp/switchyard-lab}"
: "${SWITCHYARD_LAB_NET:=127.10.0}"
: "${SWITCHYARD_LAB_PROFILE:=default}"
export SWITCHYARD_LAB_DIR SWITCHYARD_LAB_NET SWITCHYARD_LAB_PROFILE

LAB_DIR=${SWITCHYARD_LAB_DIR%/}
NET=$SWITCHYARD_LAB_NET
PROFILE=$SWITCHYARD_LAB_PROFILE

LAB_SITES=(site-a site-b)
LAB_SSH_PORT=2222
LAB_OPERATOR=swyop
# Address plan (one loopback address per host; 127.0.0.0/8 binds without setup).
declare -A LAB_SITE_IP=([site-a]="$NET.11" [site-b]="$NET.21")
LAB_CONTROLLER_IP="$NET.31"
LAB_BASTION_IP="$NET.5"
# sshd hosts: name -> address
LAB_HOSTS=(site-a-mon site-b-mon controller bastion)
declare -A LAB_HOST_IP=([site-a-mon]="$NET.11" [site-b-mon]="$NET.21" [controller]="$NET.31" [bastion]="$NET.5")
declare -A LAB_HOST_ROLE=([site-a-mon]=ceph-mon [site-b-mon]=ceph-mon [controller]=openstack-controller [bastion]=bastion)
declare -A LAB_HOST_SITE=([site-a-mon]=site-a [site-b-mon]=site-b [controller]="" [bastion]="")

LAB_CEPH_DIR="$LAB_DIR/ceph"
LAB_SSH_DIR="$LAB_DIR/ssh"
LAB_RUN_DIR="$LAB_DIR/run"     # pid files
LAB_LOG_DIR="$LAB_DIR/logs"    # lab.sh step logs (daemon logs live beside each daemon)

# Ceph sizing (see shared/research/ceph-facts.md)
LAB_OSD_SIZE_BYTES=$((10 * 1024 * 1024 * 1024))   # sparse file
LAB_OSD_MEMORY_TARGET=$((1024 * 1024 * 1024))
LAB_SNAPSHOT_SCHEDULE=1m                          # mirror snapshot schedule on pool images
LAB_POOLS=(images volumes vms)
# pool -> mirror mode in the default profile
declare -A LAB_POOL_MIRROR_MODE=([images]=image [volumes]=image [vms]=pool)

LAB_PACKAGES=(ceph-mon ceph-osd ceph-mgr rbd-mirror ceph-common openssh-server sudo jq uuid-runtime procps)

lab_conf() { printf '%s/%s.conf' "$LAB_CEPH_DIR" "$1"; }
lab_admin_keyring() { printf '%s/%s.client.admin.keyring' "$LAB_CEPH_DIR" "$1"; }
