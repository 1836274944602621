#!/usr/bin/python3
"""Create the lab's projects, service users, roles, services and endpoints in one process (idempotent).

~30 `openstack` CLI calls would cost about a minute of Python start-up; this takes a few seconds.
Reads OS_AUTH_URL / OS_PASSWORD (admin) and SERVICE_PASS, CTRL, REGION and the port variables from the env.
"""
import os
import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

env = os.environ
ctrl = env["CTRL"]
region = env["REGION"]
service_pass = env["SERVICE_PASS"]
with_network = env.get("WITH_NETWORK", "1") == "1"

auth = v3.Password(auth_url=env["OS_AUTH_URL"], username="admin", password=env["OS_PASSWORD"],
                   project_name="admin", user_domain_name="Default", project_domain_name="Default")
ks = client.Client(session=session.Session(auth=auth, timeout=30), interface="public")


def one(items, **attrs):
    for item in items:
        if all(getattr(item, k) == v for k, v in attrs.items()):
            return item
    return None


domain = ks.domains.get("default")
roles = {r.name: r for r in ks.roles.list()}
for name in ("admin", "member", "reader", "service"):
    if name not in roles:
        roles[name] = ks.roles.create(name)

projects = {p.name: p for p in ks.projects.list(domain=domain)}
for name, desc in (("service", "OpenStack service users"),):
    if name not in projects:
        projects[name] = ks.projects.create(name, domain, description=desc)
service_project = projects["service"]

users = {u.name: u for u in ks.users.list(domain=domain)}
service_users = ["glance", "cinder", "nova", "placement"] + (["neutron"] if with_network else [])
for name in service_users:
    user = users.get(name)
    if user is None:
        user = ks.users.create(name, domain=domain, password=service_pass, default_project=service_project)
    else:
        ks.users.update(user, password=service_pass)
    for role in ("admin", "service"):
        ks.roles.grant(roles[role], user=user, project=service_project)

catalog = [
    ("glance", "image", "Image service", f"http://{ctrl}:{env['PORT_GLANCE']}"),
    ("cinderv3", "volumev3", "Block storage v3", f"http://{ctrl}:{env['PORT_CINDER']}/v3/%(project_id)s"),
    ("cinder", "block-storage", "Block storage", f"http://{ctrl}:{env['PORT_CINDER']}/v3/%(project_id)s"),
    ("nova", "compute", "Compute", f"http://{ctrl}:{env['PORT_NOVA']}/v2.1"),
    ("placement", "placement", "Placement", f"http://{ctrl}:{env['PORT_PLACEMENT']}"),
]
if with_network:
    catalog.append(("neutron", "network", "Networking", f"http://{ctrl}:{env['PORT_NEUTRON']}"))

services = ks.services.list()
endpoints = ks.endpoints.list()
for name, stype, desc, url in catalog:
    svc = one(services, type=stype)
    if svc is None:
        svc = ks.services.create(name, type=stype, description=desc)
    # Public only: every client here falls back to it (internal/admin would triple the requests, and each
    # request cost seconds on a loaded machine).
    for iface in ("public",):
        ep = one(endpoints, service_id=svc.id, interface=iface)
        if ep is None:
            ks.endpoints.create(svc, url, interface=iface, region=region)
        elif ep.url != url:
            ks.endpoints.update(ep, url=url)

print("keystone bootstrap: %d services, users %s" % (len(catalog), ",".join(service_users)), file=sys.stderr)
