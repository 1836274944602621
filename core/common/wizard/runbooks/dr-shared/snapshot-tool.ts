/**
 * A fixed Python program (stdlib + python3-rbd/rados) run on a Ceph host with its argv as positional parameters.
 * Mirror snapshots (`.mirror.non_primary.*`) cannot be opened by name with the Pacific CLI ("failed to find
 * snapshot"), but librbd opens them by id. Reads are 4 MiB at a time; the copy is sparse (zero chunks skipped) and
 * created with the layering feature only, so it never joins journal-based pool mirroring.
 */
export const SNAPSHOT_TOOL = String.raw`
import hashlib, json, sys
import rados, rbd
conf, cid, keyring, tmo = sys.argv[1:5]
op, args = sys.argv[5], sys.argv[6:]
opts = {"client_mount_timeout": tmo, "rados_mon_op_timeout": tmo, "rados_osd_op_timeout": str(int(tmo) * 3)}
if keyring: opts["keyring"] = keyring
cl = rados.Rados(conffile=conf or "", rados_id=cid or None, conf=opts)
cl.connect(timeout=int(tmo))
CH = 4 << 20
def opened(io, name, snap):
    im = rbd.Image(io, name, read_only=True)
    try:
        if snap != "-": im.set_snap_by_id(int(snap))
    except Exception:
        # An open image makes rados shutdown wait forever: close it before failing.
        im.close()
        raise
    return im
def digest(im):
    h, size, off = hashlib.sha256(), im.size(), 0
    while off < size:
        n = min(CH, size - off); h.update(im.read(off, n)); off += n
    return h.hexdigest(), size
try:
    io = cl.open_ioctx(args[0])
    if op == "sha":
        im = opened(io, args[1], args[2])
        try: d, s = digest(im)
        finally: im.close()
        print(json.dumps({"sha256": d, "size": s}))
    elif op == "copy":
        dio = cl.open_ioctx(args[3])
        src = opened(io, args[1], args[2])
        try:
            size = src.size()
            r = rbd.RBD()
            if args[4] in r.list(dio): r.remove(dio, args[4])
            r.create(dio, args[4], size, old_format=False, features=rbd.RBD_FEATURE_LAYERING)
            dst = rbd.Image(dio, args[4])
            try:
                off, zero = 0, bytes(CH)
                while off < size:
                    n = min(CH, size - off); b = src.read(off, n)
                    if b != zero[:n]: dst.write(b, off)
                    off += n
                dst.flush(); d, s = digest(dst)
            finally: dst.close()
        finally: src.close()
        print(json.dumps({"sha256": d, "size": s, "dest": args[3] + "/" + args[4]}))
    else:
        sys.exit("unknown op " + op)
finally:
    cl.shutdown()
`;
