/**
 * Real copy progress, measured in the target store itself. Glance gives no percentage for copy-image: its task
 * message ("Copied 64 MiB") is rewritten rarely, and the lab's single glance-api process often does not even
 * answer while it copies. What does move is the data: glance_store's RBD driver writes the object named after
 * the image id in the store's pool chunk by chunk (`rbd du` used size grows; the object map makes it cheap), and
 * the file store writes `<data_dir>/<image id>`. Before the target holds anything Glance is still staging (copying
 * the data out of a store that has it into its staging area) or has not started.
 *
 * One exec per store per poll, whatever the number of images: a small Python program on the store's ceph-mon
 * host (`rbd du --format json POOL/ID` per image) or on the Glance host for a file store (`stat`).
 */
import { rbdBase } from '../commands/rbd';
import { validateImageName, validatePoolName, type CephTarget } from '../commands/ceph';
import type { CopyPhase, CopyProgress } from './model';
import type { ImportTask } from './tasks';

/** What one probe saw of one image in one store. */
export interface StoreMeasurement {
  id: string;
  store: string;
  /** null when the probe could not tell (error). */
  exists: boolean | null;
  /** RBD used size (object map) or file size. */
  bytes: number | null;
  /** RBD provisioned size (glance_store grows it as it writes when the size is unknown). */
  provisioned: number | null;
  /** The protected-to-be `snap` exists: the data is written, Glance is finishing (snapshot, location). */
  snap: boolean;
  /** Where it was measured, for the operator: `site-b/images/<id> (rbd du)`. */
  source: string;
  error: string | null;
}

export type ProbeSpec =
  { kind: 'rbd'; cluster: string; pool: string; target: CephTarget } | { kind: 'file'; host: string; dataDir: string };

export const COPY_PROBE_SCRIPT = String.raw`
import json, os, subprocess, sys
spec = json.loads(sys.argv[1])
out = {}
for i in spec["ids"]:
    try:
        if spec.get("dir") is not None:
            try:
                st = os.stat(os.path.join(spec["dir"], i))
                out[i] = {"exists": True, "bytes": st.st_size}
            except FileNotFoundError:
                out[i] = {"exists": False}
            continue
        p = subprocess.run(spec["base"] + ["du", "--format", "json", spec["pool"] + "/" + i], capture_output=True, timeout=spec["timeout"])
        if p.returncode != 0:
            err = p.stderr.decode(errors="replace")
            if "No such file or directory" in err or "error opening image" in err and "(2)" in err:
                out[i] = {"exists": False}
            else:
                out[i] = {"exists": None, "error": "rbd du exit %d: %s" % (p.returncode, err.strip()[-300:])}
            continue
        doc = json.loads(p.stdout.decode())
        rows = doc.get("images", [])
        head = [r for r in rows if r.get("name") == i and not r.get("snapshot")]
        snaps = [r for r in rows if r.get("name") == i and r.get("snapshot") == "snap"]
        h = head[0] if head else {}
        out[i] = {"exists": True, "bytes": h.get("used_size"), "provisioned": h.get("provisioned_size"), "snap": len(snaps) > 0}
    except Exception as e:
        out[i] = {"exists": None, "error": "%s: %s" % (type(e).__name__, e)}
sys.stdout.write(json.dumps(out))
`;

/** argv of one probe for some images of one store. Image ids go through the validators; the data dir is data. */
export function copyProbeArgv(spec: ProbeSpec, imageIds: string[], timeoutSec = 20): string[] {
  const ids = imageIds.map(validateImageName);
  if (spec.kind === 'file') {
    if (!spec.dataDir.startsWith('/')) throw new Error(`file store data_dir must be absolute: ${spec.dataDir}`);
    return ['python3', '-c', COPY_PROBE_SCRIPT, JSON.stringify({ dir: spec.dataDir, ids })];
  }
  return [
    ...(spec.target.sudo ? ['sudo', '-n'] : []),
    'python3',
    '-c',
    COPY_PROBE_SCRIPT,
    JSON.stringify({
      base: rbdBase({ ...spec.target, sudo: false }),
      pool: validatePoolName(spec.pool),
      ids,
      timeout: timeoutSec,
    }),
  ];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Parses the probe's JSON; an unparsable answer becomes one error per image (nothing is guessed). */
export function parseCopyProbe(stdout: string, store: string, spec: ProbeSpec, ids: string[]): StoreMeasurement[] {
  const where = (id: string): string =>
    spec.kind === 'rbd'
      ? `${spec.cluster}/${spec.pool}/${id} (rbd du)`
      : `${spec.host}:${spec.dataDir}/${id} (file size)`;
  let doc: Record<string, unknown> = {};
  let bad: string | null = null;
  try {
    const d: unknown = JSON.parse(stdout);
    if (typeof d === 'object' && d !== null && !Array.isArray(d)) doc = d as Record<string, unknown>;
    else bad = 'probe printed no JSON object';
  } catch (e) {
    bad = `probe printed no JSON: ${String(e)}: ${stdout.slice(0, 200)}`;
  }
  return ids.map((id) => {
    const r = (doc[id] ?? {}) as Record<string, unknown>;
    const exists = typeof r['exists'] === 'boolean' ? r['exists'] : null;
    const err =
      bad ?? (typeof r['error'] === 'string' ? r['error'] : exists === null ? 'no answer for this image' : null);
    return {
      id,
      store,
      exists,
      bytes: num(r['bytes']),
      provisioned: num(r['provisioned']),
      snap: r['snap'] === true,
      source: where(id),
      error: err,
    };
  });
}

/**
 * Copy-image attempts for `store`: the import tasks targeting it that were not there before the copy was sent
 * (`known`), so a retry by the wizard shows as attempt 2, 3… Null when Glance's tasks were not read.
 */
export function attemptsFor(tasks: ImportTask[] | null, store: string, known: ReadonlySet<string>): number | null {
  if (!tasks) return null;
  return tasks.filter((t) => !known.has(t.id) && t.method === 'copy-image' && t.stores.includes(store)).length;
}

/** Progress before anything is known (a copy just sent). */
export function emptyProgress(totalBytes: number | null, taskStatus: string | null = null): CopyProgress {
  return {
    copiedBytes: null,
    totalBytes,
    percent: null,
    taskStatus,
    taskMessage: null,
    measuredBytes: null,
    measuredAt: null,
    phase: null,
    attempt: null,
    measureError: null,
  };
}

/**
 * Progress of one (image, store) from the measurement in the target store, over whatever Glance's task said.
 * `listed` = Glance lists the store (done). A measured percent never says 100 before Glance lists the store.
 */
export function measuredProgress(input: {
  base: CopyProgress | null;
  measurement: StoreMeasurement | null;
  totalBytes: number | null;
  listed: boolean;
  attempt: number | null;
}): CopyProgress {
  const { base, measurement: m, totalBytes, listed } = input;
  const p: CopyProgress = base ? { ...base, totalBytes: base.totalBytes ?? totalBytes } : emptyProgress(totalBytes);
  if (input.attempt !== null) p.attempt = Math.max(p.attempt ?? 0, input.attempt);
  if (listed) return { ...p, percent: 100, phase: 'done' };
  if (!m) return p;
  p.measuredAt = m.source;
  p.measureError = m.error;
  if (m.error !== null || m.exists === null) return p;
  let phase: CopyPhase = 'staging';
  if (m.exists) phase = m.snap ? 'finishing' : 'writing';
  p.phase = phase;
  p.measuredBytes = m.exists ? m.bytes : 0;
  const total = p.totalBytes;
  if (m.exists && m.bytes !== null && total) {
    const pct = Math.min(99, Math.floor((m.bytes / total) * 100));
    p.percent = Math.max(pct, m.snap ? 99 : 0);
  } else if (!m.exists) p.percent = 0;
  return p;
}
