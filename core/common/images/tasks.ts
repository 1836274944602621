/**
 * `GET /v2/images/{id}/tasks`: the import tasks of one image. A copy-image task names its target stores in
 * `input.import_req.stores` and reports progress only in its free-text `message` ("Copied 64 MiB"); the image's
 * properties say nothing about how far a copy got (openstack-facts.md, Glance behaviour 2).
 */
import type { CopyProgress } from './model';

export interface ImportTask {
  id: string;
  status: string | null;
  method: string | null;
  stores: string[];
  allStoresMustSucceed: boolean | null;
  message: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Tasks from the REST document `{tasks:[...]}`; tolerant of missing fields, newest first. */
export function toImportTasks(doc: unknown): ImportTask[] {
  const list = isObj(doc) && Array.isArray(doc['tasks']) ? (doc['tasks'] as unknown[]) : Array.isArray(doc) ? doc : [];
  const out: ImportTask[] = [];
  for (const t of list) {
    if (!isObj(t) || typeof t['id'] !== 'string') continue;
    const input = isObj(t['input']) ? t['input'] : {};
    const req = isObj(input['import_req']) ? input['import_req'] : {};
    const method = isObj(req['method']) ? s(req['method']['name']) : null;
    const stores = Array.isArray(req['stores']) ? req['stores'].filter((x): x is string => typeof x === 'string') : [];
    const all = req['all_stores_must_succeed'];
    out.push({
      id: t['id'],
      status: s(t['status']),
      method,
      stores,
      allStoresMustSucceed: typeof all === 'boolean' ? all : null,
      message: s(t['message']),
      createdAt: s(t['created_at']),
      updatedAt: s(t['updated_at']),
    });
  }
  return out.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
}

const UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
};

/** "Copied 64 MiB" → 67108864; null when the message carries no amount. */
export function copiedBytes(message: string | null): number | null {
  if (!message) return null;
  const m = /Copied\s+([\d.]+)\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)\b/i.exec(message);
  if (!m || !m[1] || !m[2]) return null;
  const unit = Object.keys(UNITS).find((u) => u.toLowerCase() === (m[2] ?? '').toLowerCase());
  const n = Number(m[1]);
  return unit && Number.isFinite(n) ? Math.round(n * (UNITS[unit] ?? 1)) : null;
}

/** Progress of the newest copy task that targets `store`. */
export function copyProgressFor(tasks: ImportTask[], store: string, totalBytes: number | null): CopyProgress | null {
  const t = tasks.find((x) => x.stores.includes(store));
  if (!t) return null;
  const copied = copiedBytes(t.message);
  const done = t.status === 'success';
  const percent = done
    ? 100
    : copied !== null && totalBytes
      ? Math.min(100, Math.round((copied / totalBytes) * 100))
      : null;
  return {
    copiedBytes: copied,
    totalBytes,
    percent,
    taskStatus: t.status,
    taskMessage: t.message,
    measuredBytes: null,
    measuredAt: null,
    phase: done ? 'done' : null,
    attempt: null,
    measureError: null,
  };
}
