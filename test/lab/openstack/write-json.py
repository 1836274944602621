#!/usr/bin/python3
"""Write $SWITCHYARD_LAB_DIR/openstack.json: what tests and the console need to find the lab's OpenStack.

Values are read back from the running services (catalog, Glance stores, Cinder types), not assumed.
No secret goes in: the password lives in the clouds.yaml/openrc files whose paths are given.
"""
import json
import os
import sys
import time

from keystoneauth1 import session
from keystoneauth1.identity import v3

lab = os.environ["SWITCHYARD_LAB_DIR"].rstrip("/")
net = os.environ["SWITCHYARD_LAB_NET"]
profile = os.environ.get("SWITCHYARD_LAB_PROFILE", "default")
osdir = f"{lab}/openstack"
ctrl = f"{net}.31"
# The cluster the cloud uses (lib.sh CLOUD_SITE: site-a until `openstack.sh repoint site-b`).
cloud_site = os.environ.get("CLOUD_SITE", "site-a")
secrets = dict(line.strip().split("=", 1) for line in open(f"{osdir}/secrets.env") if "=" in line)
auth_url = f"http://{ctrl}:5000/v3"
auth = v3.Password(auth_url=auth_url, username="admin", password=secrets["ADMIN_PASS"], project_name="admin",
                   user_domain_name="Default", project_domain_name="Default")
sess = session.Session(auth=auth, timeout=30)

endpoints = {}
for stype in ("identity", "image", "volumev3", "compute", "placement", "network"):
    try:
        endpoints[stype] = sess.get_endpoint(service_type=stype, interface="public", region_name="RegionOne")
    except Exception as exc:  # a missing service is reported, not fatal
        print(f"write-json: no {stype} endpoint: {exc}", file=sys.stderr)

stores = []
if "image" in endpoints:
    r = sess.get(endpoints["image"].rstrip("/") + "/v2/info/stores/detail", raise_exc=False)
    if r.status_code == 200:
        for s in r.json().get("stores", []):
            props = s.get("properties") or {}
            stores.append({"id": s["id"], "type": s.get("type"), "default": bool(s.get("default", False)),
                           "description": s.get("description"),
                           "pool": props.get("pool"), "dataDir": props.get("data_dir"),
                           "cephConf": {"central": f"{osdir}/ceph/{cloud_site}.conf",
                                        "dcn0": f"{osdir}/ceph/site-b.conf"}.get(s["id"]),
                           "site": {"central": cloud_site, "dcn0": "site-b"}.get(s["id"])})

volume_types = []
if "volumev3" in endpoints:
    r = sess.get(endpoints["volumev3"].rstrip("/") + "/types", raise_exc=False)
    if r.status_code == 200:
        for t in r.json().get("volume_types", []):
            volume_types.append({"id": t["id"], "name": t["name"], "extraSpecs": t.get("extra_specs") or {}})

seed = None
if os.path.exists(f"{osdir}/seed.json"):
    with open(f"{osdir}/seed.json") as f:
        seed = json.load(f)

daemons = {}
rundir = f"{osdir}/run"
for name in sorted(os.listdir(rundir)) if os.path.isdir(rundir) else []:
    if name.endswith(".pid"):
        svc = name[:-4]
        daemons[svc] = {"pidFile": f"{rundir}/{name}", "log": f"{osdir}/log/{svc}.log"}

doc = {
    "version": 1,
    "generatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "profile": profile,
    "release": "zed",
    "controller": {"host": "controller", "address": ctrl, "sshPort": 2222, "user": "swyop"},
    "region": "RegionOne",
    "authUrl": auth_url,
    "cloudName": "switchyard-lab",
    "project": {"name": "admin", "domain": "Default"},
    "user": {"name": "admin", "domain": "Default", "roles": ["admin"]},
    "client": {
        # On the controller (shared filesystem): OS_CLIENT_CONFIG_FILE + OS_CLOUD select the cloud for
        # `openstack`; glance/cinder read the openrc (sourced from ~swyop/.bashrc via SWITCHYARD_OPENRC).
        "cloudsYaml": f"{osdir}/client/clouds.yaml",
        "openrc": f"{osdir}/client/openrc",
        "env": {"OS_CLIENT_CONFIG_FILE": f"{osdir}/client/clouds.yaml", "OS_CLOUD": "switchyard-lab",
                "SWITCHYARD_OPENRC": f"{osdir}/client/openrc"},
    },
    "endpoints": endpoints,
    "glance": {"stores": stores, "importMethods": ["glance-direct", "web-download", "copy-image"],
               "showImageDirectUrl": True},
    "cinder": {
        "backend": "controller@ceph",
        "pool": "volumes",
        "site": cloud_site,
        "replicationTarget": "site-b" if profile == "default" else None,
        "volumeTypes": volume_types,
    },
    "nova": {"computeDriver": "fake.FakeDriver", "computeHost": "controller", "ephemeralPool": "vms",
             "diskNameFormat": "{server_id}_disk", "minMicroversion": "2.37"},
    "network": ({"kind": "neutron-server", "plugin": "ml2 (no mechanism drivers, no agents)"}
                if os.environ.get("SWITCHYARD_LAB_NEUTRON") == "1" else
                {"kind": "network-endpoint", "detail": "test/lab/openstack/network-endpoint.py: empty collections "
                 "for Nova's port/security-group lookups; no networks exist"}),
    "cephUser": "admin",
    "cephSite": cloud_site,
    "seed": seed,
    "daemons": daemons,
}
tmp = f"{lab}/openstack.json.tmp"
with open(tmp, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
os.chmod(tmp, 0o644)
os.replace(tmp, f"{lab}/openstack.json")
