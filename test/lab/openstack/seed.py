#!/usr/bin/python3
"""Seed the lab's OpenStack with the workload of the Ceph-to-Ceph migration blog (shared/seeds/):
raw Glance images whose RBD copies carry a protected `snap`, three servers whose ephemeral disks are RBD clones
of that snap in `vms` (as Nova's libvirt rbd backend makes them), and three replicated Cinder volumes attached
to them, all holding real data; then wait until site-b has mirrored everything. Writes openstack/seed.json.

Idempotent: every object is found by name first and created only when missing, so a rerun completes a
partial seed and does nothing on a complete one. Uses the REST APIs through one keystoneauth session (the
CLIs cost 1-2 s of Python start-up per call).
"""
import hashlib
import json
import os
import random
import subprocess
import sys
import time

from keystoneauth1 import session
from keystoneauth1.identity import v3

LAB = os.environ["SWITCHYARD_LAB_DIR"].rstrip("/")
NET = os.environ["SWITCHYARD_LAB_NET"]
PROFILE = os.environ.get("SWITCHYARD_LAB_PROFILE", "default")
MIRRORED = PROFILE == "default"
OSDIR = f"{LAB}/openstack"
CTRL = f"{NET}.31"
COMPUTE_MV = {"OpenStack-API-Version": "compute 2.79", "X-OpenStack-Nova-API-Version": "2.79"}
IMAGE_BYTES = 8 * 1024 * 1024
# Migration profile: one more server, volume and Glance image whose names hold shell metacharacters and
# non-ASCII text (quotes, $(...), ;, backticks, spaces): a console that splices names into a shell line breaks
# on them (or runs /tmp/swy-pwned's touch). They must migrate like any other.
HOSTILE = "x 'q\"$(touch /tmp/swy-pwned);`id` ü ✓"
HOSTILE_NAMES = {"image": f"img {HOSTILE}", "server": f"vm {HOSTILE}", "volume": f"vo {HOSTILE}"}
T0 = time.monotonic()


def log(msg):
    print(f"[seed {time.strftime('%H:%M:%S', time.gmtime())} +{time.monotonic() - T0:5.1f}s] {msg}",
          file=sys.stderr, flush=True)


def fail(msg):
    log(f"ERROR: {msg}")
    sys.exit(1)


secrets = dict(line.strip().split("=", 1) for line in open(f"{OSDIR}/secrets.env") if "=" in line)
auth = v3.Password(auth_url=f"http://{CTRL}:5000/v3", username="admin", password=secrets["ADMIN_PASS"],
                   project_name="admin", user_domain_name="Default", project_domain_name="Default")
sess = session.Session(auth=auth, timeout=60)
PROJECT = sess.get_project_id()
GLANCE = f"http://{CTRL}:9292"
CINDER = f"http://{CTRL}:8776/v3/{PROJECT}"
NOVA = f"http://{CTRL}:8774/v2.1"


def api(method, url, ok=(200, 201, 202, 204), **kw):
    r = sess.request(url, method, raise_exc=False, **kw)
    if r.status_code not in ok:
        fail(f"{method} {url} -> HTTP {r.status_code}: {r.text[:400]}")
    return r


def wait(desc, probe, timeout, interval=1.0):
    """Poll probe() until it returns a truthy value; bounded."""
    start = time.monotonic()
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() - start > timeout:
            fail(f"timed out after {timeout}s waiting for {desc}")
        time.sleep(interval)


# ------------------------------------------------------------------ rbd
def rbd(site, *args, data=None, timeout=120, check=True):
    cmd = ["rbd", "-c", f"{OSDIR}/ceph/{site}.conf", "--id", "admin", "--rados-mon-op-timeout", "15",
           "--client-mount-timeout", "15", *args]
    p = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout)
    if check and p.returncode != 0:
        fail(f"{' '.join(cmd[5:])} on {site} rc={p.returncode}: {p.stderr.decode(errors='replace')[-400:]}")
    return p


def rbd_json(site, *args, check=True):
    p = rbd(site, *args, "--format", "json", check=check)
    return json.loads(p.stdout) if p.returncode == 0 else None


def rbd_exists(site, spec):
    return rbd(site, "info", spec, check=False).returncode == 0


def rbd_sha256(site, spec):
    h = hashlib.sha256()
    p = subprocess.Popen(["rbd", "-c", f"{OSDIR}/ceph/{site}.conf", "--id", "admin", "export", spec, "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
        h.update(chunk)
    if p.wait(timeout=300) != 0:
        fail(f"rbd export {spec} on {site} failed")
    return h.hexdigest()


def write_data(site, spec, total="8M"):
    # Random writes so that checksums compare real, distinct content between the sites.
    rbd(site, "bench", "--io-type", "write", "--io-pattern", "rand", "--io-size", "64K", "--io-threads", "4",
        "--io-total", total, spec, timeout=300)


# ------------------------------------------------------------------ glance
def find_image(name):
    imgs = api("GET", f"{GLANCE}/v2/images", params={"name": name}).json()["images"]
    imgs = [i for i in imgs if i["name"] == name]
    return imgs[0] if imgs else None


def image_data(name):
    # Deterministic per name: a few MiB of real (pseudo-random) bytes, not a sparse file of zeros.
    return random.Random(name).randbytes(IMAGE_BYTES)


def ensure_image(name, stores, description):
    img = find_image(name)
    if img is None:
        img = api("POST", f"{GLANCE}/v2/images", json={
            "name": name, "disk_format": "raw", "container_format": "bare", "visibility": "public",
            "description": description}).json()
        log(f"image {name} {img['id']} created; uploading {IMAGE_BYTES >> 20} MiB to {','.join(stores)}")
    if img["status"] == "queued":
        data = image_data(name)
        if stores == ["central"]:
            api("PUT", f"{GLANCE}/v2/images/{img['id']}/file", data=data,
                headers={"Content-Type": "application/octet-stream", "X-Image-Meta-Store": "central"})
        else:
            api("PUT", f"{GLANCE}/v2/images/{img['id']}/stage", data=data,
                headers={"Content-Type": "application/octet-stream"})
            api("POST", f"{GLANCE}/v2/images/{img['id']}/import",
                json={"method": {"name": "glance-direct"}, "stores": stores, "all_stores_must_succeed": True})

    def done():
        cur = api("GET", f"{GLANCE}/v2/images/{img['id']}").json()
        if cur.get("os_glance_failed_import"):
            fail(f"image {name}: import failed for {cur['os_glance_failed_import']}")
        have = set(filter(None, (cur.get("stores") or "").split(",")))
        return cur if cur["status"] == "active" and set(stores) <= have else None

    return wait(f"image {name} active in {stores}", done, 120)


# ------------------------------------------------------------------ nova / cinder
def ensure_flavor():
    flavors = api("GET", f"{NOVA}/flavors", headers=COMPUTE_MV).json()["flavors"]
    for f in flavors:
        if f["name"] == "m1.seed":
            return f["id"]
    # disk 0: the root disk keeps the image's size, as Nova does for such flavors (admin may boot them).
    f = api("POST", f"{NOVA}/flavors", headers=COMPUTE_MV, json={"flavor": {
        "name": "m1.seed", "ram": 256, "vcpus": 1, "disk": 0}}).json()["flavor"]
    return f["id"]


def find_server(name):
    # Nova's name filter is a regular expression: list and compare exactly (names may hold $, (, ...).
    for s in api("GET", f"{NOVA}/servers/detail", headers=COMPUTE_MV).json()["servers"]:
        if s["name"] == name:
            return s
    return None


def server(sid):
    return api("GET", f"{NOVA}/servers/{sid}", headers=COMPUTE_MV).json()["server"]


def find_volume(name):
    vols = api("GET", f"{CINDER}/volumes/detail", params={"name": name},
               headers={"OpenStack-API-Version": "volume 3.64"}).json()["volumes"]
    vols = [v for v in vols if v["name"] == name]
    return vols[0] if vols else None


def volume(vid):
    return api("GET", f"{CINDER}/volumes/{vid}", headers={"OpenStack-API-Version": "volume 3.64"}).json()["volume"]


# ------------------------------------------------------------------ mirroring
def mirror_states(site, pool):
    st = rbd_json(site, "mirror", "pool", "status", pool, "--verbose", check=False) or {}
    return {i["name"]: i for i in st.get("images", [])}


def replay_caught_up(entry):
    if not entry or entry.get("state") != "up+replaying":
        return False
    desc = entry.get("description", "")
    brace = desc.find("{")
    if brace < 0:
        return True
    try:
        detail = json.loads(desc[brace:])
    except ValueError:
        return False
    if "entries_behind_primary" in detail:  # journal
        return detail["entries_behind_primary"] == 0
    return detail.get("replay_state") == "idle"  # snapshot


def main():
    seed = {"version": 1, "profile": PROFILE, "images": [], "flavor": None, "servers": [], "volumes": []}
    stores_multi = ["central", "dcn0"] if MIRRORED else ["central"]
    cirros = ensure_image("cirros-raw", stores_multi,
                          "raw image copied by Glance into every RBD store (central, dcn0)")
    boot = ensure_image("cirros-raw-central", ["central"],
                        "raw image only in store central; the servers' disks are clones of its snap")
    # name -> (server image, volume name); the servers' disks are clones of their image's snap.
    pairs = {f"vm{i}": (boot, f"vo{i}") for i in range(3)}
    seeded_images = [(cirros, stores_multi), (boot, ["central"])]
    if not MIRRORED:
        hostile = ensure_image(HOSTILE_NAMES["image"], ["central"],
                               "hostile name: shell metacharacters and non-ASCII; boots the hostile server")
        pairs[HOSTILE_NAMES["server"]] = (hostile, HOSTILE_NAMES["volume"])
        seeded_images.append((hostile, ["central"]))
    for img, _ in seeded_images:
        spec = f"images/{img['id']}@snap"
        info = rbd_json("site-a", "snap", "ls", f"images/{img['id']}", "--all")
        if not any(s["name"] == "snap" and str(s.get("protected")).lower() == "true" for s in info):
            fail(f"{spec} is missing or not protected on site-a (Glance should have made it)")

    if MIRRORED:
        # Clones need mirrored parents: rbd-mirror creates the non-primary clone on site-b only under a
        # mirrored parent (found by its global id). The parent's pool is in image mode, snapshot-based.
        info = rbd_json("site-a", "info", f"images/{boot['id']}")
        if info.get("mirroring", {}).get("state") != "enabled":
            log(f"enabling snapshot mirroring of images/{boot['id']} (parent of the servers' disks)")
            rbd("site-a", "mirror", "image", "enable", f"images/{boot['id']}", "snapshot")

        def parent_on_b():
            snaps = rbd_json("site-b", "snap", "ls", f"images/{boot['id']}", "--all", check=False)
            return snaps and any(s["name"] == "snap" for s in snaps)

        wait("site-b to hold the mirrored parent images/<id>@snap", parent_on_b, 180, 2)
        log("parent image and its snap are on site-b")

    flavor = ensure_flavor()
    seed["flavor"] = {"id": flavor, "name": "m1.seed"}
    servers = {}
    for name, (img, _) in pairs.items():
        s = find_server(name)
        if s is None:
            s = api("POST", f"{NOVA}/servers", headers=COMPUTE_MV, json={"server": {
                "name": name, "imageRef": img["id"], "flavorRef": flavor, "networks": "none"}}).json()["server"]
            log(f"server {name} {s['id']} requested")
        servers[name] = s["id"]
    for name, sid in servers.items():
        st = wait(f"server {name} ACTIVE", lambda: (lambda s: s if s["status"] in ("ACTIVE", "ERROR") else None)(
            server(sid)), 180)
        if st["status"] != "ACTIVE":
            fail(f"server {name} went to {st['status']}: {st.get('fault')}")

    # The fake driver makes no disk: create it as Nova's libvirt rbd backend would (clone of the image's snap).
    features = ["layering", "exclusive-lock", "object-map", "fast-diff", "deep-flatten"]
    if MIRRORED:
        features.append("journaling")  # vms is journal-mirrored in pool mode: journaling = mirrored
    for name, sid in servers.items():
        disk = f"vms/{sid}_disk"
        parent = pairs[name][0]["id"]
        if not rbd_exists("site-a", disk):
            args = ["clone", f"images/{parent}@snap", disk]
            for f in features:
                args += ["--image-feature", f]
            rbd("site-a", *args)
            write_data("site-a", disk)
            log(f"{disk} cloned from images/{parent}@snap and written")

    vtype = "replicated" if MIRRORED else "standard"
    volumes = {}
    attach_to = {vol: srv for srv, (_, vol) in pairs.items()}
    for name in attach_to:
        v = find_volume(name)
        if v is None:
            v = api("POST", f"{CINDER}/volumes", json={"volume": {
                "name": name, "size": 1, "volume_type": vtype,
                "description": f"seed volume attached to {attach_to[name]}"}}).json()["volume"]
            log(f"volume {name} {v['id']} requested ({vtype})")
        volumes[name] = v["id"]
    for name, vid in volumes.items():
        v = wait(f"volume {name} settled", lambda: (lambda v: v if v["status"] in (
            "available", "in-use", "error") else None)(volume(vid)), 120)
        if v["status"] == "error":
            fail(f"volume {name} is in error (cinder-volume log: {OSDIR}/log/cinder-volume-app.log)")
        if v["status"] == "available":
            fresh = not v.get("attachments")
            if fresh:
                write_data("site-a", f"volumes/volume-{vid}")
            api("POST", f"{NOVA}/servers/{servers[attach_to[name]]}/os-volume_attachments", headers=COMPUTE_MV,
                json={"volumeAttachment": {"volumeId": vid}})
            log(f"volume {name} written and attached to {attach_to[name]}")
    for name, vid in volumes.items():
        v = wait(f"volume {name} in-use", lambda: (lambda v: v if v["status"] in ("in-use", "error") else None)(
            volume(vid)), 120)
        if v["status"] != "in-use":
            fail(f"volume {name} went to {v['status']}")
        if MIRRORED and v.get("replication_status") != "enabled":
            fail(f"volume {name} replication_status={v.get('replication_status')}, expected enabled")

    if MIRRORED:
        want = {("images", boot["id"])}
        want |= {("vms", f"{sid}_disk") for sid in servers.values()}
        want |= {("volumes", f"volume-{vid}") for vid in volumes.values()}

        def all_mirrored():
            states = {pool: mirror_states("site-b", pool) for pool in ("images", "vms", "volumes")}
            lagging = [f"{p}/{n}" for p, n in want if not replay_caught_up(states[p].get(n))]
            if lagging:
                all_mirrored.last = lagging
                return False
            return True

        all_mirrored.last = []
        # rbd-mirror publishes new state in ~30 s steps (ceph-facts.md): allow several steps.
        start = time.monotonic()
        while not all_mirrored():
            if time.monotonic() - start > 300:
                fail(f"not mirrored to site-b after 300 s: {all_mirrored.last}")
            time.sleep(3)
        log(f"site-b replays all {len(want)} images")

    # Record what was made, with content checksums (tests compare them with site-b after a migration).
    for img, stores in seeded_images:
        seed["images"].append({
            "name": img["name"], "id": img["id"], "stores": stores, "size": img["size"],
            "checksum": img.get("checksum"), "osHashAlgo": img.get("os_hash_algo"),
            "osHashValue": img.get("os_hash_value"),
            "rbd": {"pool": "images", "image": img["id"], "snap": "snap",
                    "mirrored": MIRRORED and img is boot}})
    for name, sid in servers.items():
        s = server(sid)
        seed["servers"].append({
            "name": name, "id": sid, "status": s["status"], "imageId": pairs[name][0]["id"],
            "volumes": [a["id"] for a in s.get("os-extended-volumes:volumes_attached", [])],
            "disk": {"pool": "vms", "image": f"{sid}_disk", "parent": f"images/{pairs[name][0]['id']}@snap",
                     "sha256": rbd_sha256("site-a", f"vms/{sid}_disk")}})
    for name, vid in volumes.items():
        v = volume(vid)
        seed["volumes"].append({
            "name": name, "id": vid, "type": v["volume_type"], "size": v["size"], "status": v["status"],
            "replicationStatus": v.get("replication_status"), "attachedTo": servers[attach_to[name]],
            "rbd": {"pool": "volumes", "image": f"volume-{vid}",
                    "sha256": rbd_sha256("site-a", f"volumes/volume-{vid}")}})
    tmp = f"{OSDIR}/seed.json.tmp"
    with open(tmp, "w") as f:
        json.dump(seed, f, indent=2)
    os.replace(tmp, f"{OSDIR}/seed.json")
    log(f"seed complete: {OSDIR}/seed.json")


if __name__ == "__main__":
    main()
