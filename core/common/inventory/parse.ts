import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { InventoryProblem } from '../contract/foundation';
import { inventorySchema, type Inventory } from './schema';

export interface ParsedInventory {
  /** The validated inventory, or null when there is any problem. */
  inventory: Inventory | null;
  problems: InventoryProblem[];
}

type PathSeg = string | number;

/**
 * Parses and validates an inventory YAML text. Every problem names the file, the line and column (1-based) and
 * the field (`hosts[2].auth.method`), whether it is a YAML syntax error, a schema error or a dangling reference
 * (unknown site, cluster or jump host, jump cycles, duplicate names).
 */
export function parseInventory(text: string, file: string): ParsedInventory {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      inventory: null,
      problems: doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0].line ?? null,
        column: e.linePos?.[0].col ?? null,
        field: '',
        message: `YAML: ${e.message.split('\n')[0] ?? e.code}`,
      })),
    };
  }
  const at = (path: PathSeg[], message: string): InventoryProblem => {
    const pos = locate(doc, path, lineCounter);
    return { file, line: pos?.line ?? null, column: pos?.col ?? null, field: formatPath(path), message };
  };
  const data: unknown = doc.toJS();
  if (data === null || data === undefined)
    return { inventory: null, problems: [at([], 'the inventory is empty (it needs at least `version: 1`)')] };
  const parsed = inventorySchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      at(
        i.path.filter((p): p is PathSeg => typeof p !== 'symbol'),
        i.message,
      ),
    );
    return { inventory: null, problems };
  }
  const problems = checkReferences(parsed.data).map((p) => at(p.path, p.message));
  return problems.length > 0 ? { inventory: null, problems } : { inventory: parsed.data, problems: [] };
}

/** `hosts[2].auth.method` */
export function formatPath(path: PathSeg[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

/** Cross-reference rules the schema cannot express. */
export function checkReferences(inv: Inventory): { path: PathSeg[]; message: string }[] {
  const out: { path: PathSeg[]; message: string }[] = [];
  const sites = new Set(inv.sites.map((s) => s.name));
  const clusters = new Set(inv.clusters.map((c) => c.name));
  const hosts = new Map(inv.hosts.map((h) => [h.id, h]));
  const dup = (names: string[], key: string, field: string) => {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n)) out.push({ path: [key, i, field], message: `duplicate ${field} '${n}'` });
      seen.add(n);
    });
  };
  dup(
    inv.sites.map((s) => s.name),
    'sites',
    'name',
  );
  dup(
    inv.clusters.map((c) => c.name),
    'clusters',
    'name',
  );
  dup(
    inv.hosts.map((h) => h.id),
    'hosts',
    'id',
  );
  inv.glance.stores.forEach((s, i) => {
    if (inv.glance.stores.findIndex((o) => o.id === s.id) !== i)
      out.push({ path: ['glance', 'stores', i, 'id'], message: `duplicate id '${s.id}'` });
  });
  const siteList = [...sites].join(', ') || 'none defined';
  const clusterList = [...clusters].join(', ') || 'none defined';
  inv.clusters.forEach((c, i) => {
    if (!sites.has(c.site))
      out.push({ path: ['clusters', i, 'site'], message: `unknown site '${c.site}' (sites: ${siteList})` });
  });
  inv.hosts.forEach((h, i) => {
    if (h.site !== undefined && !sites.has(h.site))
      out.push({ path: ['hosts', i, 'site'], message: `unknown site '${h.site}' (sites: ${siteList})` });
    h.roles.forEach((r, j) => {
      if (r.kind === 'ceph-mon' && !clusters.has(r.cluster))
        out.push({
          path: ['hosts', i, 'roles', j, 'cluster'],
          message: `unknown cluster '${r.cluster}' (clusters: ${clusterList})`,
        });
    });
    if (h.jump !== undefined) {
      if (!hosts.has(h.jump)) out.push({ path: ['hosts', i, 'jump'], message: `unknown jump host '${h.jump}'` });
      else {
        const cycle = jumpCycle(h.id, hosts);
        if (cycle) out.push({ path: ['hosts', i, 'jump'], message: `jump hosts form a cycle: ${cycle.join(' -> ')}` });
      }
    }
  });
  inv.glance.stores.forEach((s, i) => {
    if (!sites.has(s.site))
      out.push({ path: ['glance', 'stores', i, 'site'], message: `unknown site '${s.site}' (sites: ${siteList})` });
    if (s.cluster !== undefined && !clusters.has(s.cluster))
      out.push({
        path: ['glance', 'stores', i, 'cluster'],
        message: `unknown cluster '${s.cluster}' (clusters: ${clusterList})`,
      });
  });
  return out;
}

function jumpCycle(start: string, hosts: Map<string, { jump?: string | undefined }>): string[] | null {
  const chain = [start];
  let cur = hosts.get(start)?.jump;
  while (cur !== undefined) {
    if (chain.includes(cur)) return [...chain, cur];
    chain.push(cur);
    cur = hosts.get(cur)?.jump;
  }
  return null;
}

/** Line/column of the deepest node along `path` that exists (a missing field points at its parent). */
function locate(doc: Document, path: PathSeg[], lc: LineCounter): { line: number; col: number } | null {
  let node: unknown = doc.contents;
  let offset: number | undefined = (doc.contents as { range?: [number, number, number] } | null)?.range?.[0];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyOffset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      node = pair.value;
      const valueOffset = (pair.value as { range?: [number, number, number] } | null)?.range?.[0];
      offset = valueOffset ?? keyOffset ?? offset;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (item === undefined) break;
      node = item;
      offset = (item as { range?: [number, number, number] } | null)?.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset === undefined ? null : lc.linePos(offset);
}
