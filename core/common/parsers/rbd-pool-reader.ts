/**
 * The pool reader's output (core/common/commands/rbd-pool-reader.ts): one pool's listing and mirror status as JSON
 * lines: `{"v":1,"pool","mirror_mode"}`, `["i", name, id, size, parent|null, [snap names]]` per image,
 * `["m", name, global_id, state, description, last_update, daemon service id, [[site_name, mirror_uuid, state,
 * description, last_update]]]` per mirrored image, `{"end":1,"opened","summary","daemons"}`. Produces exactly what parseRbdLsLong + parseMirrorPoolStatus give for the CLI calls, so the
 * model cannot tell the paths apart (except by the method recorded per pool).
 *
 * Header and trailer go through zod (tolerant: unknown keys ignored, odd fields nulled); the per-image rows are read
 * by hand, like the CLI's images[], because a zod pass per row at 20k rows costs more than JSON.parse. An unknown
 * version or a missing trailer is an error, so discovery falls back to the CLI.
 */
import { z } from 'zod';
import { parseDescription, type ParsedDescription } from './description';
import { countMap, looseStr, optStr } from './loose';
import {
  daemonSchema,
  health,
  parseMirrorState,
  toMirrorDaemon,
  type MirrorImageStatus,
  type MirrorPoolStatus,
  type MirrorState,
  type PeerSiteStatus,
} from './mirror-pool-status';
import type { PoolMirrorMode, RbdListedImage } from './rbd';
import { snippetOf, type ParseError, type ParseResult } from './result';
import { StringPool } from './string-pool';

export interface PoolReaderResult {
  pool: string | null;
  mirrorMode: PoolMirrorMode;
  /** null when mirroring is disabled (the CLI's `mirror pool status` refuses such a pool). */
  status: MirrorPoolStatus | null;
  listing: RbdListedImage[];
  /** Images the reader had to open with librbd (clones, format 1): the rest came from list calls and headers. */
  opened: number;
  skippedRows: number;
}

const headSchema = z.object({ v: z.literal(1), pool: optStr, mirror_mode: optStr });
const endSchema = z.object({
  end: z.literal(1),
  opened: z.number().optional().catch(undefined),
  summary: z
    .object({ health, daemon_health: health, image_health: health, states: countMap })
    .optional()
    .catch(undefined),
  daemons: z.array(daemonSchema).optional().catch(undefined),
});

const str = (v: unknown): string | null => looseStr(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function readImageRow(v: unknown[], sh: Shared): RbdListedImage | null {
  if (typeof v[1] !== 'string') return null;
  const [, name, id, size, parent, snaps] = v;
  const p = Array.isArray(parent) ? (parent as unknown[]) : null;
  return {
    name: sh.pool.intern(name as string),
    id: sh.str(id),
    size: num(size),
    format: 2,
    lockType: null,
    parent:
      p && typeof p[0] === 'string' && typeof p[2] === 'string'
        ? { pool: p[0], namespace: str(p[1]) || null, image: p[2], snapshot: str(p[3]) ?? '' }
        : null,
    snapshots:
      Array.isArray(snaps) && snaps.length > 0
        ? snaps.filter((s): s is string => typeof s === 'string').map((s) => ({ name: s, id: null, protected: null }))
        : NO_SNAPSHOTS,
  };
}

/** Most images have no snapshot: one shared (frozen) empty list instead of one per image. */
const NO_SNAPSHOTS = Object.freeze([]) as unknown as RbdListedImage['snapshots'];

/**
 * Values repeated across thousands of rows (states, "local image is primary", site names, peer uuids, timestamps of
 * the same second, image names and global ids seen by both sites, a description seen as local status and as the
 * peer's view) kept once, with their parsed forms: JSON.parse gives every row its own copies, and at 20k images
 * those copies were ~1/5 of the observations the model is built from. The strings go through a StringPool that a
 * discovery shares between all its pool readers. Parsed objects are read-only downstream.
 */
class Shared {
  private readonly states = new Map<string, ReturnType<typeof parseMirrorState>>();
  private readonly descriptions = new Map<string, ReturnType<typeof parseDescription>>();
  private readonly uuidLists = new Map<string, string[]>();
  constructor(readonly pool: StringPool) {}
  str(v: unknown): string | null {
    const x = str(v);
    return x === null ? null : this.pool.intern(x);
  }
  state(raw: string | null): ReturnType<typeof parseMirrorState> {
    if (raw === null) return null;
    let st = this.states.get(raw);
    if (st === undefined) this.states.set(raw, (st = parseMirrorState(raw)));
    return st;
  }
  /** Descriptions without numbers (no JSON part) are few and shared; replay descriptions are per image. */
  description(d: string | null): ReturnType<typeof parseDescription> {
    if (d === null || d.includes('{')) return parseDescription(d);
    let p = this.descriptions.get(d);
    if (p === undefined) {
      p = parseDescription(d);
      if (this.descriptions.size < 1000) this.descriptions.set(d, p);
    }
    return p;
  }
  /** `[uuid]`, one array per peer uuid (read-only). */
  uuids(u: string | null): string[] {
    if (!u) return NO_STRINGS;
    let a = this.uuidLists.get(u);
    if (!a) this.uuidLists.set(u, (a = [u]));
    return a;
  }
}

const NO_STRINGS = Object.freeze([]) as unknown as string[];

/**
 * An observation row whose description is parsed when first read, not while the pool streams in: a discovery holds
 * every pool's rows until the last site answers, and at 20k images the parsed replay objects made ~1/6 of them; a
 * peer's view is read by the model only for a site it could not observe itself (down, or its pool call failed).
 * Observation rows stay inside discovery (the model copies what it keeps): they hold the discovery's Shared, and a
 * structured clone (Electron IPC) would neither see `parsed` nor leave that out.
 */
abstract class Described {
  private p: ParsedDescription | undefined;
  constructor(
    readonly description: string | null,
    private readonly sh: Shared,
  ) {}
  get parsed(): ParsedDescription {
    return (this.p ??= this.sh.description(this.description));
  }
}

/** A peer site's view of an image. */
class PeerView extends Described implements PeerSiteStatus {
  constructor(
    readonly siteName: string,
    readonly mirrorUuids: string[],
    readonly state: MirrorState | null,
    description: string | null,
    readonly lastUpdate: string | null,
    sh: Shared,
  ) {
    super(description, sh);
  }
  /** What JSON (captures, journals, tests) sees: the plain fields, parsed included. */
  toJSON(): PeerSiteStatus {
    const { siteName, mirrorUuids, state, description, parsed, lastUpdate } = this;
    return { siteName, mirrorUuids, state, description, parsed, lastUpdate };
  }
}

function readStatusRow(v: unknown[], sh: Shared): MirrorImageStatus | null {
  if (typeof v[1] !== 'string') return null;
  const [, name, gid, state, description, lastUpdate, service, sites] = v;
  const d = sh.str(description);
  const peers: MirrorImageStatus['peers'] = [];
  if (Array.isArray(sites))
    for (const s of sites as unknown[]) {
      if (!Array.isArray(s)) continue;
      const [site, uuid, st, desc, last] = s as unknown[];
      peers.push(
        new PeerView(sh.str(site) ?? '', sh.uuids(sh.str(uuid)), sh.state(sh.str(st)), sh.str(desc), sh.str(last), sh),
      );
    }
  return new StatusRow(
    sh.pool.intern(name as string),
    sh.str(gid),
    sh.state(sh.str(state)),
    d,
    sh.str(lastUpdate),
    sh.str(service),
    peers,
    sh,
  );
}

/** One image's local mirror status. */
class StatusRow extends Described implements MirrorImageStatus {
  constructor(
    readonly name: string,
    readonly globalId: string | null,
    readonly state: MirrorState | null,
    description: string | null,
    readonly lastUpdate: string | null,
    readonly daemonServiceId: string | null,
    readonly peers: PeerSiteStatus[],
    sh: Shared,
  ) {
    super(description, sh);
  }
  /** What JSON sees: the plain fields, parsed included (the peers' own toJSON does theirs). */
  toJSON(): MirrorImageStatus {
    const { name, globalId, state, description, parsed, lastUpdate, daemonServiceId, peers } = this;
    return { name, globalId, state, description, parsed, lastUpdate, daemonServiceId, peers };
  }
}

function mode(v: string | null): PoolMirrorMode {
  return v === 'disabled' || v === 'image' || v === 'pool' ? v : 'unknown';
}

const WHAT = 'rbd pool reader';
const fail = (kind: ParseError['kind'], message: string, text: string): { ok: false; error: ParseError } => ({
  ok: false,
  error: { kind, what: WHAT, message: `${WHAT}: ${message}`, snippet: snippetOf(text) },
});

/**
 * Parses the reader's JSON lines as they arrive (push each stdout chunk, then finish): one small JSON.parse per
 * line, so nothing of the pool's size is ever held but the result. The first line must be a known header and the
 * last the trailer; a row that does not parse or has an odd shape is skipped and counted, not fatal.
 */
export class PoolReaderParser {
  private partial = '';
  private head: z.output<typeof headSchema> | null = null;
  private end: z.output<typeof endSchema> | null = null;
  private error: { ok: false; error: ParseError } | null = null;
  private readonly listing: RbdListedImage[] = [];
  private readonly images: MirrorImageStatus[] = [];
  private skipped = 0;
  private lines = 0;
  private readonly shared: Shared;
  /** The first characters received, for the error snippet. */
  private start = '';

  /** `strings`: the discovery's pool, shared with the other pools' readers (default: this reader's own). */
  constructor(strings: StringPool = new StringPool()) {
    this.shared = new Shared(strings);
  }

  push(chunk: string): void {
    if (this.start.length < 400) this.start += chunk.slice(0, 400 - this.start.length);
    if (this.error) return;
    const text = this.partial + chunk;
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      this.line(text.slice(from, nl));
      from = nl + 1;
    }
    this.partial = text.slice(from);
  }

  private line(l: string): void {
    if (l.trim() === '') return;
    this.lines++;
    let v: unknown;
    try {
      v = JSON.parse(l) as unknown;
    } catch {
      if (!this.head) this.error = fail('invalid-json', 'not a pool reader document', this.start);
      else this.skipped++;
      return;
    }
    if (!this.head) {
      const h = headSchema.safeParse(v);
      if (h.success) this.head = h.data;
      else this.error = fail('schema', 'unknown header (version or shape)', this.start);
      return;
    }
    if (Array.isArray(v)) {
      const row = v as unknown[];
      const x =
        row[0] === 'i' ? readImageRow(row, this.shared) : row[0] === 'm' ? readStatusRow(row, this.shared) : null;
      if (!x) this.skipped++;
      else if (row[0] === 'i') this.listing.push(x as RbdListedImage);
      else this.images.push(x as MirrorImageStatus);
      return;
    }
    const e = endSchema.safeParse(v);
    if (e.success) this.end = e.data;
    else this.skipped++;
  }

  finish(): ParseResult<PoolReaderResult> {
    if (!this.error && this.partial.trim() !== '') this.line(this.partial);
    this.partial = '';
    if (this.error) return this.error;
    if (this.lines === 0)
      return { ok: false, error: { kind: 'empty', what: WHAT, message: `${WHAT}: empty output`, snippet: '' } };
    if (!this.head) return fail('schema', 'no header', this.start);
    if (!this.end) return fail('schema', 'no trailer: the output was cut off', this.start);
    const m = mode(this.head.mirror_mode);
    const d = this.end;
    let status: MirrorPoolStatus | null = null;
    if (m !== 'disabled') {
      if (!d.summary) return fail('schema', 'mirroring enabled but no summary', this.start);
      status = {
        health: d.summary.health,
        daemonHealth: d.summary.daemon_health,
        imageHealth: d.summary.image_health,
        states: d.summary.states,
        daemons: (d.daemons ?? []).map(toMirrorDaemon),
        images: this.images,
      };
    }
    return {
      ok: true,
      value: {
        pool: this.head.pool,
        mirrorMode: m,
        status,
        listing: this.listing,
        opened: d.opened ?? 0,
        skippedRows: this.skipped,
      },
    };
  }
}

/** Parses the pool reader's whole stdout (captures, tests). */
export function parsePoolReader(stdout: string): ParseResult<PoolReaderResult> {
  const p = new PoolReaderParser();
  p.push(stdout);
  return p.finish();
}
