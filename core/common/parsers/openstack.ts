/**
 * OpenStack lists, from the bulk REST document (commands/openstack.ts osRestInventory) or the CLI fallback
 * (`openstack image|volume|server list --long -f json`) or `image show -f json`. Glance returns `stores` as a
 * comma-separated string ("central,dcn0"), `os_glance_*` as strings that may be empty, and the CLI nests extra
 * properties under `properties`; all shapes normalise to the same records.
 */
import { z } from 'zod';
import { optBool, optNum, optStr } from './loose';
import { parseJsonText, parseWith, validateWith, type ParseResult } from './result';

export interface RbdLocation {
  fsid: string;
  pool: string;
  image: string;
  snapshot: string | null;
}
export interface GlanceImage {
  id: string;
  name: string | null;
  status: string | null;
  diskFormat: string | null;
  size: number | null;
  stores: string[];
  importingToStores: string[];
  failedImportStores: string[];
  directUrl: string | null;
  rbdLocations: RbdLocation[];
  /** Store id per location when Glance shows locations (`show_multiple_locations`). */
  locationStores: string[];
  updatedAt: string | null;
  /** true when the source could not say which stores hold the image (CLI list fallback). */
  storesUnknown: boolean;
}
export interface GlanceStoreInfo {
  id: string;
  description: string | null;
  isDefault: boolean;
  type: string | null;
  pool: string | null;
  /** File stores: where Glance writes `<data_dir>/<image id>` on its host (stores/detail, admin only). */
  dataDir: string | null;
}
export interface CinderVolume {
  id: string;
  name: string | null;
  status: string | null;
  size: number | null;
  type: string | null;
  replicationStatus: string | null;
  availabilityZone: string | null;
  host: string | null;
  bootable: boolean | null;
  attachedServerIds: string[];
  imageId: string | null;
}
export interface NovaServer {
  id: string;
  name: string | null;
  status: string | null;
  availabilityZone: string | null;
  host: string | null;
  imageId: string | null;
  volumeIds: string[];
}
export interface OpenstackInventory {
  /** rest: one exec of the REST program; tunnel: the host's own REST calls over a forwarded SSH channel. */
  source: 'rest' | 'tunnel' | 'cli';
  images: GlanceImage[];
  stores: GlanceStoreInfo[];
  volumes: CinderVolume[];
  servers: NovaServer[];
  /** Per service (auth, images, stores, volumes, servers, config): why that part is missing. */
  errors: Record<string, string>;
  timingsMs: Record<string, number>;
}

const csv = (v: unknown): string[] =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : Array.isArray(v)
      ? v.filter((s): s is string => typeof s === 'string')
      : [];

/** `rbd://<fsid>/<pool>/<image>/<snap>` (the form Glance's RBD store writes). */
export function parseRbdUrl(url: string): RbdLocation | null {
  const m = /^rbd:\/\/([^/]+)\/([^/]+)\/([^/]+)(?:\/([^/]*))?$/.exec(url);
  if (!m || !m[1] || !m[2] || !m[3]) return null;
  const dec = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch (e) {
      void e;
      return s;
    }
  };
  return { fsid: dec(m[1]), pool: dec(m[2]), image: dec(m[3]), snapshot: m[4] ? dec(m[4]) : null };
}

type Obj = Record<string, unknown>;
const obj = z.record(z.string(), z.unknown());

function str(o: Obj, ...keys: string[]): string | null {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
  }
  return null;
}

/** A Glance image from the REST API (properties at top level) or `image show` (properties nested). */
export function toGlanceImage(raw: Obj, storesKnown = true): GlanceImage | null {
  const props = raw['properties'] && typeof raw['properties'] === 'object' ? (raw['properties'] as Obj) : {};
  const all: Obj = { ...props, ...raw };
  const id = str(all, 'id', 'ID');
  if (!id) return null;
  const directUrl = str(all, 'direct_url');
  const locs = Array.isArray(all['locations']) ? (all['locations'] as unknown[]) : [];
  const urls: string[] = directUrl ? [directUrl] : [];
  const locationStores: string[] = [];
  for (const l of locs) {
    if (!l || typeof l !== 'object') continue;
    const u = (l as Obj)['url'];
    if (typeof u === 'string' && !urls.includes(u)) urls.push(u);
    const meta = (l as Obj)['metadata'];
    const store = meta && typeof meta === 'object' ? (meta as Obj)['store'] : undefined;
    if (typeof store === 'string') locationStores.push(store);
  }
  const rbdLocations = urls.map(parseRbdUrl).filter((x): x is RbdLocation => x !== null);
  const hasStores = 'stores' in all;
  return {
    id,
    name: str(all, 'name', 'Name'),
    status: str(all, 'status', 'Status'),
    diskFormat: str(all, 'disk_format', 'Disk Format'),
    size: typeof all['size'] === 'number' ? all['size'] : typeof all['Size'] === 'number' ? all['Size'] : null,
    stores: csv(all['stores']),
    importingToStores: csv(all['os_glance_importing_to_stores']),
    failedImportStores: csv(all['os_glance_failed_import']),
    directUrl,
    rbdLocations,
    locationStores,
    updatedAt: str(all, 'updated_at', 'Updated At'),
    storesUnknown: !storesKnown || (!hasStores && locationStores.length === 0),
  };
}

function toStore(raw: Obj): GlanceStoreInfo | null {
  const id = str(raw, 'id');
  if (!id) return null;
  const props = raw['properties'] && typeof raw['properties'] === 'object' ? (raw['properties'] as Obj) : {};
  const d = raw['default'];
  return {
    id,
    description: str(raw, 'description'),
    isDefault: d === true || d === 'true',
    type: str(raw, 'type'),
    pool: str(props, 'pool'),
    dataDir: str(props, 'data_dir'),
  };
}

function idsOf(v: unknown, key: string): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const x of v) {
    if (typeof x === 'string') out.push(x);
    else if (x && typeof x === 'object') {
      const id = (x as Obj)[key] ?? (x as Obj)['id'];
      if (typeof id === 'string') out.push(id);
    }
  }
  return out;
}

export function toCinderVolume(raw: Obj): CinderVolume | null {
  const id = str(raw, 'id', 'ID');
  if (!id) return null;
  const meta =
    raw['volume_image_metadata'] && typeof raw['volume_image_metadata'] === 'object'
      ? (raw['volume_image_metadata'] as Obj)
      : {};
  const bootable = optBool.parse(raw['bootable'] ?? raw['Bootable']);
  return {
    id,
    name: str(raw, 'name', 'Name'),
    status: str(raw, 'status', 'Status'),
    size: optNum.parse(raw['size'] ?? raw['Size']),
    type: str(raw, 'volume_type', 'Type', 'Volume Type'),
    replicationStatus: str(raw, 'replication_status'),
    availabilityZone: str(raw, 'availability_zone'),
    host: str(raw, 'os-vol-host-attr:host'),
    bootable,
    attachedServerIds: idsOf(raw['attachments'] ?? raw['Attached to'], 'server_id'),
    imageId: str(meta, 'image_id'),
  };
}

export function toNovaServer(raw: Obj): NovaServer | null {
  const id = str(raw, 'id', 'ID');
  if (!id) return null;
  const image = raw['image'];
  let imageId: string | null = str(raw, 'Image ID');
  if (!imageId && image && typeof image === 'object') imageId = str(image as Obj, 'id');
  // `server show` prints "name (id)"; a boot-from-volume server has image "" or "N/A (booted from volume)".
  if (!imageId && typeof image === 'string') imageId = /\(([0-9a-f-]{36})\)/.exec(image)?.[1] ?? null;
  return {
    id,
    name: str(raw, 'name', 'Name'),
    status: str(raw, 'status', 'Status'),
    availabilityZone: str(raw, 'OS-EXT-AZ:availability_zone', 'Availability Zone'),
    host: str(raw, 'OS-EXT-SRV-ATTR:host', 'Host'),
    imageId,
    volumeIds: idsOf(raw['os-extended-volumes:volumes_attached'] ?? raw['volumes_attached'], 'id'),
  };
}

function mapAll<T>(v: unknown, f: (o: Obj) => T | null): T[] {
  if (!Array.isArray(v)) return [];
  const out: T[] = [];
  for (const x of v) {
    if (!x || typeof x !== 'object') continue;
    const t = f(x as Obj);
    if (t) out.push(t);
  }
  return out;
}

const restSchema = z.object({
  images: z.array(z.unknown()).optional().catch(undefined),
  stores: z.array(z.unknown()).optional().catch(undefined),
  volumes: z.array(z.unknown()).optional().catch(undefined),
  servers: z.array(z.unknown()).optional().catch(undefined),
  errors: z.record(z.string(), optStr).optional().catch(undefined),
  timingsMs: z.record(z.string(), optNum).optional().catch(undefined),
});

/** Parses the one-document output of the bulk REST inventory script. */
export function parseOpenstackRest(stdout: string): ParseResult<OpenstackInventory> {
  const j = parseJsonText(stdout, 'openstack REST inventory');
  return j.ok ? openstackInventoryFromDoc(j.value, 'rest', stdout) : j;
}

/** The same document, already decoded (the tunnel path assembles it from the API answers itself). */
export function openstackInventoryFromDoc(
  doc: unknown,
  source: OpenstackInventory['source'],
  text = '',
): ParseResult<OpenstackInventory> {
  const r = validateWith(restSchema, doc, 'openstack REST inventory', text);
  if (!r.ok) return r;
  const x = r.value;
  const errors: Record<string, string> = {};
  for (const [k, v] of Object.entries(x.errors ?? {})) if (v) errors[k] = v;
  const timingsMs: Record<string, number> = {};
  for (const [k, v] of Object.entries(x.timingsMs ?? {})) if (v !== null) timingsMs[k] = v;
  return {
    ok: true,
    value: {
      source,
      images: mapAll(x.images, (o) => toGlanceImage(o)),
      stores: mapAll(x.stores, toStore),
      volumes: mapAll(x.volumes, toCinderVolume),
      servers: mapAll(x.servers, toNovaServer),
      errors,
      timingsMs,
    },
  };
}

const listSchema = z.array(obj);
/** `openstack image list --long -f json`: no stores/locations in this view (storesUnknown). */
export function parseImageListCli(stdout: string): ParseResult<GlanceImage[]> {
  const r = parseWith(listSchema, stdout, 'openstack image list');
  return r.ok ? { ok: true, value: mapAll(r.value, (o) => toGlanceImage(o, false)) } : r;
}
export function parseVolumeListCli(stdout: string): ParseResult<CinderVolume[]> {
  const r = parseWith(listSchema, stdout, 'openstack volume list');
  return r.ok ? { ok: true, value: mapAll(r.value, toCinderVolume) } : r;
}
export function parseServerListCli(stdout: string): ParseResult<NovaServer[]> {
  const r = parseWith(listSchema, stdout, 'openstack server list');
  return r.ok ? { ok: true, value: mapAll(r.value, toNovaServer) } : r;
}
/** `openstack image show -f json` or `GET /v2/images/{id}`. */
export function parseImageShow(stdout: string): ParseResult<GlanceImage> {
  const r = parseWith(obj, stdout, 'openstack image show');
  if (!r.ok) return r;
  const img = toGlanceImage(r.value);
  return img
    ? { ok: true, value: img }
    : {
        ok: false,
        error: {
          kind: 'schema',
          what: 'openstack image show',
          message: 'openstack image show: no id',
          snippet: stdout.slice(0, 200),
        },
      };
}
export function parseGlanceStores(stdout: string): ParseResult<GlanceStoreInfo[]> {
  const r = parseWith(z.object({ stores: z.array(z.unknown()).optional().catch(undefined) }), stdout, 'glance stores');
  return r.ok ? { ok: true, value: mapAll(r.value.stores, toStore) } : r;
}

export interface KeystoneEndpoint {
  type: string;
  interface: string;
  region: string | null;
  url: string;
}
export interface KeystoneToken {
  token: string;
  /** Unix ms; null when Keystone did not say. */
  expiresAt: number | null;
  endpoints: KeystoneEndpoint[];
  interface: string;
  region: string | null;
}

const tokenSchema = z.object({
  source: optStr,
  token: optStr,
  expiresAt: optStr,
  interface: optStr,
  region: optStr,
  errors: z.record(z.string(), optStr).optional().catch(undefined),
  catalog: z
    .array(
      z.object({
        type: optStr,
        endpoints: z
          .array(z.object({ interface: optStr, region_id: optStr, region: optStr, url: optStr }))
          .optional()
          .catch(undefined),
      }),
    )
    .optional()
    .catch(undefined),
});

/**
 * The token document (commands/openstack.ts osRestToken). Errors never quote the text: it holds the token.
 */
export function parseKeystoneToken(stdout: string): ParseResult<KeystoneToken> {
  const fail = (message: string): ParseResult<KeystoneToken> => ({
    ok: false,
    error: { kind: 'schema', what: 'keystone token', message, snippet: '' },
  });
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    return fail(`keystone token: not JSON (${stdout.length} bytes)`);
  }
  const r = tokenSchema.safeParse(doc);
  if (!r.success) return fail('keystone token: unexpected shape');
  const x = r.data;
  const errs = Object.entries(x.errors ?? {}).filter(([, v]) => v);
  if (errs.length > 0) return fail(errs.map(([k, v]) => `${k}: ${v ?? ''}`).join('; '));
  if (x.source !== 'token' || !x.token) return fail('keystone token: no token in the answer');
  const exp = x.expiresAt ? Date.parse(x.expiresAt) : NaN;
  const endpoints: KeystoneEndpoint[] = [];
  for (const svc of x.catalog ?? [])
    for (const ep of svc.endpoints ?? [])
      if (svc.type && ep.url && ep.interface)
        endpoints.push({ type: svc.type, interface: ep.interface, region: ep.region_id ?? ep.region, url: ep.url });
  return {
    ok: true,
    value: {
      token: x.token,
      expiresAt: Number.isFinite(exp) ? exp : null,
      endpoints,
      interface: x.interface ?? 'public',
      region: x.region,
    },
  };
}

/** The first catalog URL of one of `types` (in order) for the token's interface and region, no trailing slash. */
export function endpointFor(t: KeystoneToken, types: string[]): string | null {
  for (const type of types)
    for (const ep of t.endpoints)
      if (ep.type === type && ep.interface === t.interface && (!t.region || ep.region === t.region))
        return ep.url.replace(/\/+$/, '');
  return null;
}
