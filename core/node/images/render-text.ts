/** Plain-text rendering of the image matrix and usage risk for `switchyard images`. */
import type { ImageCell, ImageMatrix } from '../../common/images/model';
import type { SiteUsage } from '../../common/images/usage';

const MARK: Record<ImageCell['state'], string> = {
  present: 'present',
  importing: 'importing',
  failed: 'FAILED',
  absent: '-',
};

function cellText(c: ImageCell | undefined): string {
  if (!c) return '?';
  let t = MARK[c.state];
  if (c.state === 'importing' && c.progress?.percent != null) t += ` ${c.progress.percent}%`;
  if (c.data !== 'ok' && c.data !== 'none' && c.data !== 'file-store') t += ` [${c.data}]`;
  if (c.clones > 0) t += ` (${c.clones} clones)`;
  return t;
}

export const human = (b: number): string =>
  b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(1)} GiB` : `${(b / 1024 ** 2).toFixed(1)} MiB`;

export function renderMatrix(m: ImageMatrix): string {
  const head = ['image', 'format', ...m.stores.map((s) => `${s.id}${s.site ? ` (${s.site})` : ''}`)];
  const rows = m.rows.map((r) => [
    `${r.name ?? '(no name)'} ${r.id.slice(0, 8)}`,
    `${r.diskFormat ?? '?'}${r.format?.mislabelled ? `!=${r.format.detected ?? '?'}` : ''}`,
    ...m.stores.map((s) => cellText(r.cells[s.id])),
  ]);
  const totals = [
    'total',
    '',
    ...m.stores.map(
      (s) =>
        `${s.totals.present} img, ${human(s.totals.bytes)}${s.totals.problems ? `, ${s.totals.problems} problems` : ''}`,
    ),
  ];
  const all = [head, ...rows, totals];
  const w = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(w[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [line(head), ...rows.map(line), line(totals)];
  const problems = m.rows.flatMap((r) => r.problems.map((p) => `  ${r.name ?? r.id}: ${p}`));
  if (problems.length) out.push('', 'problems:', ...problems);
  if (m.problems.length) out.push('', 'not observed:', ...m.problems.map((p) => `  ${p}`));
  return out.join('\n');
}

export function renderUsage(u: SiteUsage[]): string {
  const out: string[] = [];
  for (const s of u) {
    out.push(
      `site ${s.site} (local stores: ${s.localStores.join(', ') || 'none'}): ${s.localUses} local uses, ${s.crossSite.length} cross-site, ${s.clones.length} clones`,
    );
    for (const c of s.crossSite)
      out.push(
        `  cross-site ${c.kind} ${c.name ?? c.id}: image ${c.imageName ?? c.imageId} only in ${c.imageStores.join(', ') || 'no store'}`,
      );
  }
  return out.join('\n');
}
