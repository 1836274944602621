/**
 * argv builders for reaching OpenStack through the controller host.
 *
 * An `openstack` CLI call costs 1.2–2.2 s of Python start-up (openstack-facts.md) and `image list --long` does
 * not even carry `stores`/`direct_url`/`os_glance_*`. The preferred path is therefore ONE exec of a small stdlib
 * Python program (~0.1 s start-up) that authenticates against Keystone and makes the paged REST list calls
 * (Glance images + stores, Cinder volumes, Nova servers) and prints one JSON document. The CLI list calls stay as
 * the fallback. The cloud password never enters argv: it comes from the openrc/clouds.yaml on that host, or on
 * stdin when the inventory names a vault reference.
 */
import type { HostRole } from '../inventory/schema';

export type OpenstackRole = Extract<HostRole, { kind: 'openstack-controller' }>;

/** Wraps an argv so the role's openrc (if any) is sourced first; with a cloud name the CLI gets --os-cloud. */
function withCredentials(role: OpenstackRole, argv: string[]): string[] {
  if (role.openrc && !role.cloud) {
    // Fixed script; the openrc path and the argv travel as positional parameters, never spliced into the script.
    return ['sh', '-c', '. "$1" || exit 97; shift; exec "$@"', 'sh', role.openrc, ...argv];
  }
  return argv;
}

function cli(role: OpenstackRole, args: string[]): string[] {
  const cloud = role.cloud ? ['--os-cloud', role.cloud] : [];
  return withCredentials(role, ['openstack', ...cloud, ...args, '-f', 'json']);
}

export const osImageListLong = (role: OpenstackRole): string[] => cli(role, ['image', 'list', '--long']);
export const osVolumeListLong = (role: OpenstackRole): string[] =>
  cli(role, ['volume', 'list', '--long', '--all-projects']);
export const osServerListLong = (role: OpenstackRole): string[] =>
  cli(role, ['server', 'list', '--long', '--all-projects']);
export const osImageShow = (role: OpenstackRole, id: string): string[] => cli(role, ['image', 'show', checkUuid(id)]);
export const osVolumeShow = (role: OpenstackRole, id: string): string[] => cli(role, ['volume', 'show', checkUuid(id)]);
export const osServerShow = (role: OpenstackRole, id: string): string[] => cli(role, ['server', 'show', checkUuid(id)]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function checkUuid(id: string): string {
  if (!UUID.test(id)) throw new Error(`not an OpenStack id: ${JSON.stringify(id.slice(0, 60))}`);
  return id;
}

/**
 * The bulk REST inventory: one exec, one JSON document
 * `{source:"rest", images, stores, volumes, servers, errors:{service: message}, timingsMs}`.
 * Each service is fetched independently so one broken API yields a partial answer, not none.
 */
export function osRestInventory(role: OpenstackRole, opts: { passwordOnStdin?: boolean } = {}): string[] {
  return restScript(role, opts, 'inventory');
}

/**
 * The same program, but it stops after Keystone and prints `{source:"token", token, expiresAt, catalog,
 * interface, region, errors}`: the host then calls the APIs itself through a forwarded SSH channel. The output holds
 * a token: run it with `secretStdout` so the audit log keeps only its size.
 */
export function osRestToken(role: OpenstackRole, opts: { passwordOnStdin?: boolean } = {}): string[] {
  return restScript(role, opts, 'token');
}

function restScript(role: OpenstackRole, opts: { passwordOnStdin?: boolean }, mode: 'inventory' | 'token'): string[] {
  const argv = [
    'python3',
    '-c',
    OS_REST_SCRIPT,
    role.cloud ?? '',
    opts.passwordOnStdin ? 'password-on-stdin' : '',
    mode,
  ];
  if (role.openrc && !role.cloud)
    return ['sh', '-c', '. "$1" || exit 97; shift; exec "$@"', 'sh', role.openrc, ...argv];
  return argv;
}

/** stdlib only: runs on any controller that has Python (every OpenStack host does). */
export const OS_REST_SCRIPT = String.raw`
import json, os, sys, time, urllib.request, urllib.error, urllib.parse
T = 25
out = {"source": "rest", "images": [], "stores": [], "volumes": [], "servers": [], "errors": {}, "timingsMs": {}}
def cfg():
    name = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else os.environ.get("OS_CLOUD", "")
    e = os.environ
    c = {"auth_url": e.get("OS_AUTH_URL"), "username": e.get("OS_USERNAME"), "password": e.get("OS_PASSWORD"),
         "project_name": e.get("OS_PROJECT_NAME") or e.get("OS_TENANT_NAME"), "project_id": e.get("OS_PROJECT_ID"),
         "user_domain_name": e.get("OS_USER_DOMAIN_NAME") or "Default", "user_domain_id": e.get("OS_USER_DOMAIN_ID"),
         "project_domain_name": e.get("OS_PROJECT_DOMAIN_NAME") or "Default", "project_domain_id": e.get("OS_PROJECT_DOMAIN_ID"),
         "region": e.get("OS_REGION_NAME"), "interface": e.get("OS_INTERFACE") or "public", "cacert": e.get("OS_CACERT")}
    if name:
        import yaml
        for p in [e.get("OS_CLIENT_CONFIG_FILE") or "clouds.yaml", "clouds.yaml", os.path.expanduser("~/.config/openstack/clouds.yaml"), "/etc/openstack/clouds.yaml"]:
            if os.path.exists(p):
                with open(p) as f:
                    cl = (yaml.safe_load(f) or {}).get("clouds", {}).get(name)
                if cl:
                    a = cl.get("auth", {})
                    for k in ["auth_url", "username", "password", "project_name", "project_id", "user_domain_name", "user_domain_id", "project_domain_name", "project_domain_id"]:
                        if a.get(k): c[k] = a[k]
                    if cl.get("region_name"): c["region"] = cl["region_name"]
                    if cl.get("interface"): c["interface"] = cl["interface"]
                    if cl.get("cacert"): c["cacert"] = cl["cacert"]
                    break
        else:
            raise SystemExit("cloud %r not found in clouds.yaml" % name)
    if not c.get("auth_url"):
        raise SystemExit("no auth_url: set the role's openrc or cloud (OS_AUTH_URL / clouds.yaml)")
    if len(sys.argv) > 2 and sys.argv[2] == "password-on-stdin":
        pw = sys.stdin.readline().rstrip("\n")
        if pw: c["password"] = pw
    return c
ctx = None
def req(method, url, token=None, body=None, headers=None):
    h = {"Accept": "application/json", "User-Agent": "switchyard-topology"}
    if token: h["X-Auth-Token"] = token
    if headers: h.update(headers)
    data = None
    if body is not None:
        data = json.dumps(body).encode(); h["Content-Type"] = "application/json"
    r = urllib.request.Request(url, data=data, headers=h, method=method)
    with urllib.request.urlopen(r, timeout=T, context=ctx) as resp:
        return resp.headers, json.loads(resp.read().decode() or "null")
def auth(c):
    u = c["auth_url"].rstrip("/")
    if not u.endswith("/v3"): u += "/v3"
    user = {"name": c["username"], "password": c["password"]}
    user["domain"] = {"id": c["user_domain_id"]} if c.get("user_domain_id") else {"name": c["user_domain_name"]}
    if c.get("project_id"):
        proj = {"id": c["project_id"]}
    else:
        proj = {"name": c["project_name"], "domain": {"id": c["project_domain_id"]} if c.get("project_domain_id") else {"name": c["project_domain_name"]}}
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}, "scope": {"project": proj}}}
    h, b = req("POST", u + "/auth/tokens", body=body)
    out["expiresAt"] = b["token"].get("expires_at")
    return h["X-Subject-Token"], b["token"].get("catalog", [])
def endpoint(cat, types, c):
    for t in types:
        for s in cat:
            if s.get("type") != t: continue
            for ep in s.get("endpoints", []):
                if ep.get("interface") == c["interface"] and (not c.get("region") or ep.get("region_id") == c["region"] or ep.get("region") == c["region"]):
                    return ep["url"].rstrip("/")
    return None
def paged(tok, url, key, links_key=None, base=None, headers=None):
    items = []
    while url:
        h, b = req("GET", url, tok, headers=headers)
        items.extend(b.get(key, []))
        nxt = None
        if links_key:
            for l in b.get(links_key, []) or []:
                if l.get("rel") == "next": nxt = l.get("href")
        elif b.get("next"):
            nxt = base + b["next"]
        url = nxt
    return items
def step(name, fn):
    t0 = time.time()
    try:
        fn()
    except urllib.error.HTTPError as e:
        out["errors"][name] = "HTTP %s %s" % (e.code, e.read()[:300].decode(errors="replace"))
    except Exception as e:
        out["errors"][name] = "%s: %s" % (type(e).__name__, str(e)[:300])
    out["timingsMs"][name] = round((time.time() - t0) * 1000)
def main():
    global ctx
    c = cfg()
    if c.get("cacert"):
        import ssl
        ctx = ssl.create_default_context(cafile=c["cacert"])
    st = {}
    def a():
        st["tok"], st["cat"] = auth(c)
    step("auth", a)
    if "tok" not in st:
        return
    tok, cat = st["tok"], st["cat"]
    if len(sys.argv) > 3 and sys.argv[3] == "token":
        exp = out.get("expiresAt")
        out.clear()
        out.update({"source": "token", "token": tok, "expiresAt": exp, "catalog": cat,
                    "interface": c["interface"], "region": c.get("region"), "errors": {}})
        return
    jobs = []
    img = endpoint(cat, ["image"], c)
    if img:
        if img.endswith("/v2"): img = img[:-3]
        jobs.append(("images", lambda: out.__setitem__("images", paged(tok, img + "/v2/images?limit=1000", "images", base=img))))
        def stores():
            try:
                out["stores"] = req("GET", img + "/v2/info/stores/detail", tok)[1].get("stores", [])
            except urllib.error.HTTPError:
                out["stores"] = req("GET", img + "/v2/info/stores", tok)[1].get("stores", [])
        jobs.append(("stores", stores))
    else:
        out["errors"]["images"] = "no image endpoint in the catalog"
    vol = endpoint(cat, ["volumev3", "block-storage", "volume"], c)
    if vol:
        jobs.append(("volumes", lambda: out.__setitem__("volumes", paged(tok, vol + "/volumes/detail?all_tenants=1&limit=1000", "volumes", "volumes_links", headers={"OpenStack-API-Version": "volume 3.64"}))))
    else:
        out["errors"]["volumes"] = "no volume endpoint in the catalog"
    comp = endpoint(cat, ["compute"], c)
    if comp:
        jobs.append(("servers", lambda: out.__setitem__("servers", paged(tok, comp + "/servers/detail?all_tenants=1&limit=1000", "servers", "servers_links", headers={"X-OpenStack-Nova-API-Version": "2.79"}))))
    else:
        out["errors"]["servers"] = "no compute endpoint in the catalog"
    # The four list calls are independent: run them side by side (each is I/O-bound on its API).
    import threading
    ts = [threading.Thread(target=step, args=j) for j in jobs]
    for t in ts: t.start()
    for t in ts: t.join()
try:
    main()
except SystemExit as e:
    out["errors"]["config"] = str(e)
except Exception as e:
    out["errors"]["config"] = "%s: %s" % (type(e).__name__, str(e)[:300])
sys.stdout.write(json.dumps(out))
`;
