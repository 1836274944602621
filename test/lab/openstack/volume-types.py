#!/usr/bin/python3
"""Create the lab's Cinder volume types (idempotent): `standard` and, when site-b is a replication target,
`replicated` (replication_enabled='<is> True'). Admin credentials come from the OS_* environment."""
import os
import sys

from cinderclient import client as cinder_client
from keystoneauth1 import session
from keystoneauth1.identity import v3

env = os.environ
auth = v3.Password(auth_url=env["OS_AUTH_URL"], username=env["OS_USERNAME"], password=env["OS_PASSWORD"],
                   project_name=env["OS_PROJECT_NAME"], user_domain_name="Default", project_domain_name="Default")
cinder = cinder_client.Client("3", session=session.Session(auth=auth, timeout=30), region_name=env["OS_REGION_NAME"])

wanted = {"standard": ({"volume_backend_name": "ceph"}, "site-a volumes pool, not replicated")}
if env.get("SWITCHYARD_LAB_PROFILE", "default") == "default":
    wanted["replicated"] = ({"volume_backend_name": "ceph", "replication_enabled": "<is> True"},
                            "site-a volumes pool, RBD journal mirroring to site-b")
existing = {t.name: t for t in cinder.volume_types.list(is_public=None)}
for name, (specs, desc) in wanted.items():
    vt = existing.get(name) or cinder.volume_types.create(name, description=desc, is_public=True)
    vt.set_keys(specs)
    print(f"volume type {name} {vt.id} {specs}", file=sys.stderr)
