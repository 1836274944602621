/**
 * Glance image operations through the controller host, as ONE exec of a stdlib Python program (the same Keystone
 * login as the topology's bulk REST inventory, ~0.1 s instead of 1.2–2.2 s per `openstack`/`glance` CLI call).
 * The operation travels as one JSON argv element; the password (when a vault reference is used) on stdin only.
 *
 * copy-image always sends `all_stores_must_succeed` explicitly: the api-ref contradicts itself on its default
 * (operator-pitfalls.md 11). Glance's error text is returned verbatim (openstack-facts.md, behaviour 3).
 */
import { z } from 'zod';
import { checkUuid, OS_REST_SCRIPT, type OpenstackRole } from '../commands/openstack';
import { nameSchema } from '../inventory/schema';
import { toGlanceImage, type GlanceImage } from '../parsers/openstack';
import { toImportTasks, type ImportTask } from './tasks';

export type GlanceOp =
  | { op: 'show'; ids: string[] }
  | { op: 'info' }
  | { op: 'copy'; id: string; stores: string[]; allStoresMustSucceed: boolean }
  | { op: 'delete-from-store'; id: string; store: string }
  | { op: 'deactivate' | 'reactivate' | 'delete'; id: string }
  | {
      op: 'create-import';
      name: string;
      diskFormat: string;
      containerFormat: string;
      /** A file on the controller host, streamed to Glance's staging area. */
      sourcePath: string;
      stores: string[];
      allStoresMustSucceed: boolean;
    };

const storeName = (s: string): string => nameSchema.parse(s);

/** Validates ids and store names before they leave for the controller. */
export function checkOp(o: GlanceOp): GlanceOp {
  switch (o.op) {
    case 'show':
      o.ids.forEach(checkUuid);
      break;
    case 'copy':
      checkUuid(o.id);
      if (o.stores.length === 0) throw new Error('copy-image needs at least one target store');
      o.stores.forEach(storeName);
      if (typeof o.allStoresMustSucceed !== 'boolean') throw new Error('all_stores_must_succeed must be explicit');
      break;
    case 'delete-from-store':
      checkUuid(o.id);
      storeName(o.store);
      break;
    case 'deactivate':
    case 'reactivate':
    case 'delete':
      checkUuid(o.id);
      break;
    case 'create-import':
      if (!/^[^\0\n]{1,255}$/.test(o.name)) throw new Error('image name: 1–255 characters, no newline');
      if (!/^[a-z0-9]{2,10}$/.test(o.diskFormat) || !/^[a-z0-9]{2,10}$/.test(o.containerFormat))
        throw new Error('bad disk/container format');
      if (!o.sourcePath.startsWith('/') || o.sourcePath.includes('\0'))
        throw new Error('sourcePath must be an absolute path on the controller');
      o.stores.forEach(storeName);
      if (typeof o.allStoresMustSucceed !== 'boolean') throw new Error('all_stores_must_succeed must be explicit');
      break;
    case 'info':
      break;
  }
  return o;
}

/** Keystone login and request helpers of the bulk inventory program, reused verbatim (cfg, req, auth, endpoint). */
export function restPrelude(): string {
  const i = OS_REST_SCRIPT.indexOf('def paged(');
  if (i < 0) throw new Error('OS_REST_SCRIPT changed shape: no "def paged(" to cut the prelude at');
  return OS_REST_SCRIPT.slice(0, i);
}

const OPS_BODY = String.raw`
import html
# Glance's API workers also run the imports: under load a read takes longer than the inventory's 25 s.
T = 60
def call(method, url, tok, body=None, headers=None):
    try:
        h, b = req(method, url, tok, body=body, headers=headers)
        return {"ok": True, "status": 200, "body": b}
    except urllib.error.HTTPError as e:
        raw = e.read()[:2000].decode(errors="replace")
        return {"ok": False, "status": e.code, "error": raw, "message": html.unescape(raw)}
def ops():
    c = cfg()
    tok, cat = auth(c)
    img = endpoint(cat, ["image"], c)
    if not img: raise SystemExit("no image endpoint in the catalog")
    if img.endswith("/v2"): img = img[:-3]
    o = json.loads(sys.argv[3])
    v2 = img + "/v2"
    op = o["op"]
    if op == "show":
        res = {}
        for i in o["ids"]:
            r = call("GET", v2 + "/images/" + i, tok)
            t = call("GET", v2 + "/images/" + i + "/tasks", tok) if r["ok"] else None
            res[i] = {"image": r.get("body"), "tasks": (t or {}).get("body"), "status": r["status"], "error": r.get("message")}
        return {"ok": True, "result": res}
    if op == "info":
        s = call("GET", v2 + "/info/stores/detail", tok)
        if not s["ok"]: s = call("GET", v2 + "/info/stores", tok)
        m = call("GET", v2 + "/info/import", tok)
        return {"ok": s["ok"] and m["ok"], "result": {"stores": (s.get("body") or {}).get("stores", []), "import": m.get("body")}, "error": s.get("message") or m.get("message")}
    if op == "copy":
        body = {"method": {"name": "copy-image"}, "stores": o["stores"], "all_stores_must_succeed": bool(o["allStoresMustSucceed"])}
        return call("POST", v2 + "/images/" + o["id"] + "/import", tok, body=body)
    if op == "delete-from-store":
        return call("DELETE", v2 + "/stores/" + urllib.parse.quote(o["store"]) + "/" + o["id"], tok)
    if op in ("deactivate", "reactivate"):
        return call("POST", v2 + "/images/" + o["id"] + "/actions/" + op, tok)
    if op == "delete":
        return call("DELETE", v2 + "/images/" + o["id"], tok)
    if op == "create-import":
        r = call("POST", v2 + "/images", tok, body={"name": o["name"], "disk_format": o["diskFormat"], "container_format": o["containerFormat"]})
        if not r["ok"]: return r
        iid = r["body"]["id"]
        size = os.path.getsize(o["sourcePath"])
        with open(o["sourcePath"], "rb") as f:
            rq = urllib.request.Request(v2 + "/images/" + iid + "/stage", data=f, method="PUT",
                headers={"X-Auth-Token": tok, "Content-Type": "application/octet-stream", "Content-Length": str(size)})
            try:
                urllib.request.urlopen(rq, timeout=600, context=ctx).read()
            except urllib.error.HTTPError as e:
                raw = e.read()[:2000].decode(errors="replace")
                return {"ok": False, "status": e.code, "error": raw, "message": html.unescape(raw), "result": {"id": iid}}
        body = {"method": {"name": "glance-direct"}, "stores": o["stores"], "all_stores_must_succeed": bool(o["allStoresMustSucceed"])}
        r = call("POST", v2 + "/images/" + iid + "/import", tok, body=body)
        r["result"] = {"id": iid, "staged": size}
        return r
    raise SystemExit("unknown op %r" % op)
try:
    res = ops()
except SystemExit as e:
    res = {"ok": False, "status": 0, "error": str(e), "message": str(e)}
except Exception as e:
    res = {"ok": False, "status": 0, "error": "%s: %s" % (type(e).__name__, str(e)[:500]), "message": "%s: %s" % (type(e).__name__, str(e)[:500])}
sys.stdout.write(json.dumps(res))
`;

/** argv of one Glance operation on the controller (role: its openrc or cloud). */
export function glanceOpArgv(role: OpenstackRole, op: GlanceOp, opts: { passwordOnStdin?: boolean } = {}): string[] {
  const argv = [
    'python3',
    '-c',
    restPrelude() + OPS_BODY,
    role.cloud ?? '',
    opts.passwordOnStdin ? 'password-on-stdin' : '',
    JSON.stringify(checkOp(op)),
  ];
  if (role.openrc && !role.cloud)
    return ['sh', '-c', '. "$1" || exit 97; shift; exec "$@"', 'sh', role.openrc, ...argv];
  return argv;
}

const resultSchema = z.object({
  ok: z.boolean(),
  status: z.number().optional().catch(undefined),
  body: z.unknown().optional(),
  result: z.unknown().optional(),
  error: z.string().nullable().optional().catch(undefined),
  message: z.string().nullable().optional().catch(undefined),
});
export type GlanceOpResult = z.infer<typeof resultSchema>;

export class GlanceOpError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GlanceOpError';
  }
}

/** The program's one JSON document; a non-JSON stdout (Python missing, openrc failing) is an error with the text. */
export function parseGlanceOp(stdout: string): GlanceOpResult {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch (e) {
    throw new GlanceOpError(`Glance operation printed no JSON: ${stdout.slice(0, 300) || '(empty)'}`, null, {
      cause: e,
    });
  }
  const r = resultSchema.safeParse(doc);
  if (!r.success) throw new GlanceOpError(`Glance operation: unexpected document: ${r.error.message}`, null);
  return r.data;
}

export interface ImageState {
  image: GlanceImage | null;
  tasks: ImportTask[];
  /** HTTP status of the image GET (404 = gone). */
  status: number | null;
  error: string | null;
}

/** The `show` op's result: image + tasks per id. */
export function parseShowResult(r: GlanceOpResult): Record<string, ImageState> {
  const out: Record<string, ImageState> = {};
  const res = (r.result ?? {}) as Record<
    string,
    { image?: unknown; tasks?: unknown; status?: unknown; error?: unknown }
  >;
  for (const [id, v] of Object.entries(res)) {
    const img = v.image && typeof v.image === 'object' ? toGlanceImage(v.image as Record<string, unknown>) : null;
    out[id] = {
      image: img,
      tasks: toImportTasks(v.tasks),
      status: typeof v.status === 'number' ? v.status : null,
      error: typeof v.error === 'string' ? v.error : null,
    };
  }
  return out;
}
