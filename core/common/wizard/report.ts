/**
 * A run's report, computed from its journal only: parameters, every command with host, output and exit,
 * verifications with evidence, operator decisions, and wall time per phase with the measured downtime (RTO).
 */
import { formatDuration } from './eta';
import { reconstruct, type JournalRecord, type RecordOf } from './journal';
import { quoteArgv } from '../commands/quote';

export interface PhaseTiming {
  phase: string;
  startedAt: string | null;
  endedAt: string | null;
  ms: number | null;
}

export interface RunTimings {
  phases: PhaseTiming[];
  totalMs: number;
  downtime: { from: string; to: string; ms: number | null } | null;
}

const t = (iso: string): number => Date.parse(iso);

/** Wall time per phase: from the first record of any of its steps to the last. */
export function computeTimings(records: JournalRecord[]): RunTimings {
  const first = records[0];
  if (!first || first.type !== 'run-started') throw new Error('journal does not start with run-started');
  const phaseOf = new Map(first.steps.map((s) => [s.id, s.phase]));
  const span = new Map<string, { a: string; b: string }>();
  for (const r of records) {
    if (!('step' in r) || typeof r.step !== 'string') continue;
    if (r.type === 'operator-decision' || r.type === 'run-paused') continue;
    const ph = phaseOf.get(r.step);
    if (!ph) continue;
    const cur = span.get(ph);
    if (!cur) span.set(ph, { a: r.ts, b: r.ts });
    else cur.b = r.ts;
  }
  const phases = first.phases.map((phase) => {
    const s = span.get(phase);
    return s
      ? { phase, startedAt: s.a, endedAt: s.b, ms: t(s.b) - t(s.a) }
      : { phase, startedAt: null, endedAt: null, ms: null };
  });
  const last = records[records.length - 1] ?? first;
  let downtime: RunTimings['downtime'] = null;
  if (first.downtime) {
    const a = span.get(first.downtime.from);
    const b = span.get(first.downtime.to);
    downtime = { ...first.downtime, ms: a && b ? t(b.b) - t(a.a) : null };
  }
  return { phases, totalMs: t(last.ts) - t(first.ts), downtime };
}

interface CommandView {
  intent: RecordOf<'command-intent'>;
  result?: RecordOf<'command-result'>;
}

function commandsByStep(records: JournalRecord[]): Map<string, CommandView[]> {
  const out = new Map<string, CommandView[]>();
  const byCmd = new Map<number, CommandView>();
  for (const r of records) {
    if (r.type === 'command-intent') {
      const v: CommandView = { intent: r };
      byCmd.set(r.cmd, v);
      const list = out.get(r.step) ?? [];
      list.push(v);
      out.set(r.step, list);
    } else if (r.type === 'command-result') {
      const v = byCmd.get(r.cmd);
      if (v) v.result = r;
    }
  }
  return out;
}

function fence(text: string, max = 4000): string {
  const body =
    text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters in the journal)` : text;
  return '```\n' + body.replaceAll('```', '`\u200b``') + '\n```';
}

function shown(argv: string[]): string {
  try {
    return quoteArgv(argv);
  } catch {
    return argv.join(' ');
  }
}

/** Markdown report of one run. */
export function renderMarkdown(records: JournalRecord[]): string {
  const first = records[0];
  if (!first || first.type !== 'run-started') throw new Error('journal does not start with run-started');
  const state = reconstruct(records);
  const timings = computeTimings(records);
  const cmds = commandsByStep(records);
  const L: string[] = [];
  L.push(`# ${first.title} — run ${first.runId}`, '');
  L.push(
    `- Wizard: \`${first.wizard}\``,
    `- Started: ${first.ts}`,
    `- Last record: ${state.updatedAt}`,
    `- Status: **${state.status}**`,
  );
  L.push(`- Wall time: ${formatDuration(timings.totalMs)}`);
  if (timings.downtime) {
    L.push(
      `- **Downtime (${timings.downtime.from} start → ${timings.downtime.to} end): ${timings.downtime.ms === null ? 'not measured' : formatDuration(timings.downtime.ms)}**`,
    );
  }
  L.push('', '## Parameters', '', '```json', JSON.stringify(first.params, null, 2), '```', '');
  L.push('## Wall time per phase', '', '| phase | start | end | duration |', '|---|---|---|---|');
  for (const p of timings.phases)
    L.push(
      `| ${p.phase} | ${p.startedAt ?? '—'} | ${p.endedAt ?? '—'} | ${p.ms === null ? '—' : formatDuration(p.ms)} |`,
    );
  L.push('', '## Operator decisions', '');
  const decisions = records.filter((r): r is RecordOf<'operator-decision'> => r.type === 'operator-decision');
  if (decisions.length === 0) L.push('(none)');
  for (const d of decisions)
    L.push(
      `- ${d.ts} **${d.decision}**${d.step ? ` on \`${d.step}\`` : ''} by ${d.by}${d.typed ? ` (typed "${d.typed}")` : ''}${d.reason ? `: ${d.reason}` : ''}`,
    );
  L.push('', '## Steps', '');
  for (const s of first.steps) {
    const st = state.steps.find((x) => x.id === s.id);
    L.push(`### ${s.phase} / ${s.title} (\`${s.id}\`, ${s.risk}) — ${st?.status ?? 'pending'}`, '');
    let reconnecting = false;
    for (const r of records) {
      if (r.type === 'run-resumed' && reconnecting) {
        L.push(`- ${r.ts} ${r.reason}`);
        reconnecting = false;
      }
      if (!('step' in r) || r.step !== s.id) continue;
      if (r.type === 'run-paused' && r.status === 'reconnecting') {
        L.push(`- ${r.ts} **connection lost**: ${r.message}`);
        reconnecting = true;
      } else if (r.type === 'precondition-result') {
        for (const c of r.checks)
          L.push(
            `- precondition ${c.ok ? 'OK' : c.severity === 'warning' ? 'WARNING' : 'FAILED'}: ${c.name} — ${c.evidence}`,
          );
      } else if (r.type === 'verified') {
        L.push(
          `- verified ${r.ok ? 'OK' : 'NOT OK'}${r.afterCrash ? ' (after an interruption)' : ''}${r.afterReconnect ? ' (after reconnecting)' : ''}: ${r.evidence}`,
        );
      } else if (r.type === 'failed') {
        L.push(`- **failed**: ${r.reason}`);
        if (r.evidence) L.push('', fence(r.evidence, 2000), '');
      } else if (r.type === 'run-paused' && r.status === 'waiting-manual') {
        L.push('', '> Manual step instructions:', '', ...r.message.split('\n').map((l) => `> ${l}`), '');
      }
    }
    for (const c of cmds.get(s.id) ?? []) {
      const res = c.result;
      const exit = res
        ? res.error
          ? `error: ${res.error}`
          : `exit ${res.exitCode ?? 'none'}${res.timedOut ? ' (timed out)' : ''}, ${res.durationMs} ms`
        : 'NO RESULT (interrupted)';
      L.push(
        '',
        `- \`${c.intent.host}\` [${c.intent.purpose}${c.intent.attempt > 1 ? `, attempt ${c.intent.attempt}` : ''}] ${c.intent.ts} — ${exit}${c.intent.stdin ? ` — stdin ${c.intent.stdin}` : ''}`,
      );
      L.push('', '```sh', shown(c.intent.argv), '```');
      if (res?.stdout) L.push('', fence(res.stdout));
      if (res?.stderr) L.push('', 'stderr:', '', fence(res.stderr));
    }
    L.push('');
  }
  return L.join('\n');
}

const esc = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** HTML report: the Markdown report in a self-contained page (no scripts, no remote content). */
export function renderHtml(records: JournalRecord[]): string {
  const md = renderMarkdown(records);
  const body: string[] = [];
  let inCode = false;
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) {
      body.push(inCode ? '</pre>' : '<pre>');
      inCode = !inCode;
      continue;
    }
    if (inCode) {
      body.push(esc(line));
      continue;
    }
    const h = /^(#{1,3}) (.*)$/.exec(line);
    if (h?.[1] && h[2] !== undefined) body.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`);
    else if (line.startsWith('|'))
      body.push(
        line.includes('---|')
          ? ''
          : `<div class="row">${line
              .split('|')
              .slice(1, -1)
              .map((c) => `<span>${inline(c.trim())}</span>`)
              .join('')}</div>`,
      );
    else if (line.startsWith('- ')) body.push(`<li>${inline(line.slice(2))}</li>`);
    else if (line.startsWith('> ')) body.push(`<blockquote>${inline(line.slice(2))}</blockquote>`);
    else if (line.trim() !== '') body.push(`<p>${inline(line)}</p>`);
  }
  const title = esc(md.split('\n')[0]?.replace(/^# /, '') ?? 'run report');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>${title}</title><style>body{font:14px system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}pre{background:#f4f4f4;padding:.5em;overflow:auto;white-space:pre-wrap}.row{display:grid;grid-template-columns:repeat(4,1fr);border-bottom:1px solid #ddd}code{background:#eee}</style></head><body>\n${body.join('\n')}\n</body></html>\n`;
}

function inline(s: string): string {
  return esc(s)
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');
}
