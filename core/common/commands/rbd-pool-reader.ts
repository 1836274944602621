/**
 * The pool reader: a fixed Python program (stdlib + python3-rbd/rados, shipped with ceph-common on Debian/Ubuntu)
 * run on a Ceph host with its argv as positional parameters, that reads one pool in bulk WITHOUT opening images.
 *
 * Why: `rbd mirror pool status --verbose` and `rbd ls -l` both open every image of the pool (librbd ImageCtx,
 * ~6 ms of client CPU each, measured at 20k), only to read what the pool's own lists and the image headers hold.
 * Here: `list2` (rbd_directory), `mirror_image_status_list` (rbd_mirroring: global id, local and peer states),
 * `mirror_peer_list` (mirror uuid → site name), `mirror_image_status_summary`, `mirror_image_instance_id_list`,
 * the `service dump`/`service status` mon commands (daemons, leader, callouts: the CLI's own logic), and one
 * asynchronous omap read of each `rbd_header.<id>` (size, parent key, snapshot names), many in flight. Only what
 * the headers do not give simply — a clone's parent spec, a format-1 image — is opened with librbd (read-only).
 *
 * Output: JSON lines, so the host parses the stream as it arrives (no 10 MiB string, no 10 MiB JSON tree promoted
 * to the old generation: each row is young garbage): a header `{"v":1,"pool","mirror_mode"}`, one array per image
 * (`["i", ...]`) and per mirrored image (`["m", ...]`), and a trailer `{"end":1,"opened","summary","daemons"}` whose
 * absence marks a cut-off stream. Parsed by PoolReaderParser (core/common/parsers/rbd-pool-reader.ts). Any failure
 * exits non-zero with the reason on stderr, and discovery falls back to the CLI calls.
 * Ceph timeouts: client_mount_timeout / rados_mon_op_timeout / rados_osd_op_timeout, as on every rbd call.
 */
import { validatePoolName, type CephTarget } from './ceph';

export const POOL_READER_VERSION = 1;

export const POOL_READER = String.raw`
import calendar, json, sys, threading, time
import rados, rbd
conf, cid, keyring, tmo, pool = sys.argv[1:6]
window = int(sys.argv[6]) if len(sys.argv) > 6 else 64
opts = {"client_mount_timeout": tmo, "rados_mon_op_timeout": tmo, "rados_osd_op_timeout": tmo}
if keyring: opts["keyring"] = keyring
STATES = {rbd.MIRROR_IMAGE_STATUS_STATE_UNKNOWN: "unknown", rbd.MIRROR_IMAGE_STATUS_STATE_ERROR: "error",
          rbd.MIRROR_IMAGE_STATUS_STATE_SYNCING: "syncing",
          rbd.MIRROR_IMAGE_STATUS_STATE_STARTING_REPLAY: "starting_replay",
          rbd.MIRROR_IMAGE_STATUS_STATE_REPLAYING: "replaying",
          rbd.MIRROR_IMAGE_STATUS_STATE_STOPPING_REPLAY: "stopping_replay",
          rbd.MIRROR_IMAGE_STATUS_STATE_STOPPED: "stopped"}
HEALTH = ["OK", "UNKNOWN", "WARNING", "ERROR"]
def stamp(v):
    # The CLI prints local time, seconds; the binding gives a naive UTC datetime (or an int).
    if v is None: return None
    t = v if isinstance(v, (int, float)) else calendar.timegm(v.utctimetuple())
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))
def state(s):
    return ("up+" if s.get("up") else "down+") + STATES.get(s.get("state"), "unknown")
def mon(cl, prefix):
    r, out, err = cl.mon_command(json.dumps({"prefix": prefix, "format": "json"}), b"")
    if r != 0: raise RuntimeError(prefix + ": " + (err or str(r)))
    return json.loads(out or b"{}")
def daemons(cl, pool_id):
    # Same rules as the rbd CLI (MirrorDaemonServiceInfo): a daemon without status for this pool warns; error
    # and warning callouts set its health; no daemon reporting the pool is an error, no leader a warning.
    svc = {}
    for sid, d in ((mon(cl, "service dump").get("services") or {}).get("rbd-mirror") or {}).get("daemons", {}).items():
        if not isinstance(d, dict) or not isinstance(d.get("metadata"), dict): continue
        m = d["metadata"]
        svc[sid] = {"service_id": sid, "instance_id": "", "client_id": m.get("id", ""), "hostname": m.get("hostname", ""),
                    "ceph_version": m.get("ceph_version_short", ""), "leader": False, "health": 0, "callouts": []}
    found_pool = found_leader = False
    if svc:
        for sid, d in (mon(cl, "service status").get("rbd-mirror") or {}).items():
            s = svc.get(sid)
            if s is None: continue
            st = (d or {}).get("status") or {}
            if "json" not in st:
                s["callouts"].append("not reporting status"); s["health"] = 2; continue
            p = json.loads(st["json"]).get(str(pool_id))
            if p is None:
                s["callouts"].append("not reporting status for pool"); s["health"] = 2; continue
            found_pool = True
            if p.get("instance_id") is not None: s["instance_id"] = p["instance_id"]
            if p.get("leader"): s["leader"] = True; found_leader = True
            h = 0
            for c in (p.get("callouts") or {}).values():
                lvl = c.get("level")
                if lvl is None: continue
                if lvl == "error": h = 3
                elif lvl == "warning" and h < 2: h = 2
                if c.get("text") is not None: s["callouts"].append(c["text"])
            s["health"] = h
    dh = 3 if not found_pool else (2 if not found_leader else 0)
    for s in svc.values(): dh = max(dh, s["health"])
    out = []
    for s in svc.values():
        s["health"] = HEALTH[s["health"]]
        out.append(s)
    return out, dh
def headers(io, images):
    # One omap read per header, many in flight; the callbacks run on librados' finisher thread.
    res, lock, sem, done = {}, threading.Lock(), threading.Semaphore(window), threading.Event()
    left = [len(images)]
    if not images: done.set()
    def finish(name, value):
        with lock:
            res[name] = value
            left[0] -= 1
            if left[0] == 0: done.set()
        sem.release()
    for name, iid in images:
        sem.acquire()
        op = io.create_read_op()
        keys, _ = io.get_omap_vals_by_keys(op, ("size", "parent"))
        snaps, _ = io.get_omap_vals(op, "", "snapshot_", 100000)
        def cb(comp, name=name, op=op, keys=keys, snaps=snaps):
            try:
                r = comp.get_return_value()
                if r < 0: v = None
                else:
                    k = dict(keys)
                    names = []
                    for _, b in snaps:
                        # cls_rbd_snap: u8 v, u8 compat, u32 len, u64 id, then the name (u32 len + bytes).
                        n = int.from_bytes(b[14:18], "little")
                        names.append(b[18:18 + n].decode("utf-8", "replace"))
                    size = k.get("size")
                    v = (int.from_bytes(size, "little") if size is not None and len(size) == 8 else None,
                         "parent" in k, names)
            except Exception:
                v = None
            finally:
                io.release_read_op(op)
            finish(name, v)
        io.operate_aio_read_op(op, "rbd_header." + iid, oncomplete=cb)
    if not done.wait(float(tmo) * 3 + len(images) * 0.01): raise RuntimeError("image headers: no answer in time")
    return res
def opened(io, name):
    im = rbd.Image(io, name, read_only=True)
    try:
        size, parent = im.size(), None
        try:
            p = im.get_parent_image_spec()
            parent = [p["pool_name"], p.get("pool_namespace") or "", p["image_name"], p.get("snap_name") or ""]
        except rbd.ImageNotFound:
            pass
        return size, parent, [s["name"] for s in im.list_snaps()]
    finally:
        im.close()
cl = rados.Rados(conffile=conf or "", rados_id=cid or None, conf=opts)
cl.connect(timeout=int(tmo))
try:
    io = cl.open_ioctx(pool)
    r = rbd.RBD()
    mode = r.mirror_mode_get(io)
    listed = [(i["name"], i["id"]) for i in r.list2(io)]
    hdr = headers(io, listed)
    out = sys.stdout
    def emit(x): out.write(json.dumps(x, separators=(",", ":")) + "\n")
    emit({"v": 1, "pool": pool, "mirror_mode": {rbd.RBD_MIRROR_MODE_DISABLED: "disabled", rbd.RBD_MIRROR_MODE_IMAGE: "image",
          rbd.RBD_MIRROR_MODE_POOL: "pool"}.get(mode, "unknown")})
    opened_n = 0
    for name, iid in listed:
        h = hdr.get(name)
        if h is None or h[0] is None or h[1]:
            # Format 1, an odd header, or a clone: librbd decodes it (a clone's parent spec names pool/image/snap).
            try:
                size, parent, snaps = opened(io, name)
                opened_n += 1
            except rbd.ImageNotFound:
                continue  # removed meanwhile
            emit(["i", name, iid, size, parent, snaps])
        else:
            emit(["i", name, iid, h[0], None, [s for s in h[2] if not s.startswith(".mirror.") and not s.startswith(".group.")]])
    end = {"end": 1, "opened": opened_n}
    if mode != rbd.RBD_MIRROR_MODE_DISABLED:
        states, ih = {}, 0
        for st, n in r.mirror_image_status_summary(io):
            states[STATES.get(st, "unknown")] = n
            if st not in (rbd.MIRROR_IMAGE_STATUS_STATE_REPLAYING, rbd.MIRROR_IMAGE_STATUS_STATE_STOPPED): ih = max(ih, 2)
            if st == rbd.MIRROR_IMAGE_STATUS_STATE_ERROR: ih = 3
        ds, dh = daemons(cl, io.get_pool_id())
        by_instance = {d["instance_id"]: d["service_id"] for d in ds if d["instance_id"]}
        instance_of = dict(r.mirror_image_instance_id_list(io))
        peers = list(r.mirror_peer_list(io))
        names = {p.get("mirror_uuid"): p.get("site_name", "") for p in peers if p.get("mirror_uuid")}
        # Peers the CLI shows as "status not found" when they have not reported (utils::populate_unknown_...).
        directions = set(p.get("direction") for p in peers)
        want = [p["mirror_uuid"] for p in peers if p.get("mirror_uuid") and p.get("direction") != rbd.RBD_MIRROR_PEER_DIRECTION_TX]
        local_expected = not (len(directions) == 1 and rbd.RBD_MIRROR_PEER_DIRECTION_TX in directions)
        for s in r.mirror_image_status_list(io):
            gid = (s.get("info") or {}).get("global_id") or ""
            if not gid: continue
            local = "state" in s
            remote = list(s.get("remote_statuses") or [])
            seen = set(x.get("mirror_uuid") for x in remote)
            sites = [[names.get(x.get("mirror_uuid"), ""), x.get("mirror_uuid", ""), state(x), x.get("description", ""),
                      stamp(x.get("last_update"))] for x in remote]
            sites += [[names.get(u, ""), u, "down+unknown", "status not found", stamp(0)] for u in want if u not in seen]
            row = ["m", s.get("name", ""), gid, None, None, None, None, sites]
            if local:
                row[3], row[4], row[5] = state(s), s.get("description", ""), stamp(s.get("last_update"))
                if s.get("up"): row[6] = by_instance.get(instance_of.get(s.get("id"), ""))
            elif local_expected:
                row[3], row[4], row[5] = "down+unknown", "status not found", stamp(0)
            emit(row)
        end["summary"] = {"health": HEALTH[max(ih, dh)], "daemon_health": HEALTH[dh], "image_health": HEALTH[ih], "states": states}
        end["daemons"] = ds
    # The last line says the document is complete: a cut-off stream has none and is refused.
    emit(end)
    out.flush()
finally:
    cl.shutdown()
`;

/**
 * argv of the pool reader for one pool: `python3 -c PROGRAM conf client keyring timeout pool window`.
 * The names are positional parameters of a fixed program, never spliced into its text.
 */
export const rbdPoolReader = (t: CephTarget, pool: string, window = 64): string[] => [
  ...(t.sudo ? ['sudo', '-n'] : []),
  'python3',
  '-c',
  POOL_READER,
  t.conf ?? '',
  t.clientId ?? '',
  t.keyring ?? '',
  String(Math.max(1, Math.round(t.timeoutSec ?? 10))),
  validatePoolName(pool),
  String(Math.max(1, Math.trunc(window))),
];
