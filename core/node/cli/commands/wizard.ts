/**
 * `switchyard wizard list | plan ID | run ID | resume RUN | runs | report RUN` — the wizards from a terminal or a
 * script. Destructive steps need `--confirm STEP=NAME` with the exact name the step asks for (there is no "yes to
 * all"); manual steps need `--manual-done STEP` once the operator did them. On a TTY the wizard asks instead.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { HostKeyQuestion } from '../../../common/ports';
import { formatDuration } from '../../../common/wizard/eta';
import type { RunState } from '../../../common/wizard/journal';
import { quoteArgv } from '../../../common/commands/quote';
import { createCoreServices } from '../../services';
import { WizardService } from '../../wizard/service';
import type { CliCommand } from '../main';

const HELP = `usage: switchyard wizard <list|plan|run|resume|runs|report> [ID|RUN] [options]

  list                       wizards available
  plan ID --params P         the dry run: every command on every host (--discover reads the clusters first)
  run ID --params P          start a run and drive it until it finishes or needs the operator
  resume RUN                 continue a run (after a pause, a failure or a crash: unknown steps are verified first)
  runs                       runs on this machine, newest first
  report RUN                 Markdown (default) or --html report; --out FILE writes it to a file

options:
  --params FILE|JSON         wizard parameters (a JSON file path or inline JSON)
  --inventory FILE           inventory YAML (default: <home>/inventory.yaml)
  --home DIR                 data directory (default SWITCHYARD_HOME or ~/.switchyard); runs in <home>/runs
  --known-hosts FILE         import this OpenSSH known_hosts file before connecting
  --accept-new-host-keys     trust hosts never seen before (a CHANGED key is always refused)
  --confirm STEP=NAME        typed confirmation of a destructive step (repeatable; must match exactly)
  --manual-done STEP         the operator has done this manual step: verify it (repeatable)
  --rerun STEP               allow one more attempt of a failed or unknown step (repeatable)
  --skip STEP=REASON         skip a step, recording the reason (repeatable)
  --abort REASON             abort the run (resume only)
  --discover                 plan: run the read-only discovery first
  --json                     machine-readable output
exit codes: 0 finished, 3 waiting for the operator, 1 failed, 2 usage.
The vault passphrase (for SSH keys referenced by keyRef) is read from SWITCHYARD_VAULT_PASSPHRASE.`;

function pairs(list: string[] | undefined, what: string): [string, string][] {
  return (list ?? []).map((s) => {
    const i = s.indexOf('=');
    if (i <= 0) throw new Error(`${what} expects STEP=VALUE, got ${s}`);
    return [s.slice(0, i), s.slice(i + 1)];
  });
}

function readParams(v: string | undefined): unknown {
  if (v === undefined) throw new Error('--params FILE|JSON is required');
  const text = v.trimStart().startsWith('{') ? v : readFileSync(v, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`--params is not valid JSON: ${(e as Error).message}`);
  }
}

function printState(st: RunState, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(st));
    return;
  }
  console.log(`run ${st.runId}: ${st.status}`);
  for (const s of st.steps)
    console.log(`  ${s.status.padEnd(20)} ${s.id}${s.skipReason ? ` (skipped: ${s.skipReason})` : ''}`);
  if (st.lastMessage && st.status !== 'succeeded') console.log(`\n${st.lastMessage}`);
}

function exitOf(st: RunState): number {
  if (st.status === 'succeeded' || st.status === 'aborted') return 0;
  if (st.status === 'failed') return 1;
  return 3;
}

/** On a terminal, ask for what the run waits for; returns false when the operator declines. */
async function askOperator(svc: WizardService, st: RunState): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const step = st.steps.find((s) => s.status === st.status);
  if (!step) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    if (st.status === 'waiting-confirmation') {
      const typed = await rl.question(`\n${st.lastMessage ?? ''}\n> `);
      if (typed.trim() === '') return false;
      await svc.confirm(st.runId, step.id, typed.trim());
      return true;
    }
    if (st.status === 'waiting-manual') {
      const a = await rl.question(
        `\nManual step ${step.id}:\n${st.lastMessage ?? ''}\nType "done" when done (anything else stops): `,
      );
      if (a.trim() !== 'done') return false;
      await svc.manualDone(st.runId, step.id);
      return true;
    }
    if (st.status === 'waiting-decision') {
      const a = await rl.question(`\n${st.lastMessage ?? ''}\n[r]e-run, [s]kip, or anything else to stop: `);
      if (a.trim() === 'r') await svc.rerun(st.runId, step.id);
      else if (a.trim() === 's') await svc.skip(st.runId, step.id, await rl.question('reason: '));
      else return false;
      return true;
    }
    return false;
  } finally {
    rl.close();
  }
}

export const command: CliCommand = {
  name: 'wizard',
  summary: 'guided runbooks (Ceph-to-Ceph migration): plan, run, resume, report',
  async run(args) {
    let v;
    let positionals: string[];
    try {
      const r = parseArgs({
        args,
        allowPositionals: true,
        strict: true,
        options: {
          params: { type: 'string' },
          inventory: { type: 'string' },
          home: { type: 'string' },
          'known-hosts': { type: 'string' },
          'accept-new-host-keys': { type: 'boolean' },
          confirm: { type: 'string', multiple: true },
          'manual-done': { type: 'string', multiple: true },
          rerun: { type: 'string', multiple: true },
          skip: { type: 'string', multiple: true },
          abort: { type: 'string' },
          discover: { type: 'boolean' },
          html: { type: 'boolean' },
          out: { type: 'string' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
      v = r.values;
      positionals = r.positionals;
    } catch (e) {
      console.error(`switchyard wizard: ${(e as Error).message}`);
      return 2;
    }
    const [sub, arg] = positionals;
    if (v.help || !sub) {
      console.log(HELP);
      return v.help ? 0 : 2;
    }
    const refused: HostKeyQuestion[] = [];
    const services = createCoreServices({
      ...(v.home ? { home: v.home } : {}),
      ...(v.inventory ? { inventoryPath: v.inventory } : {}),
      hostKeyDecider: (q) => {
        if (v['accept-new-host-keys'] === true) return Promise.resolve(true);
        refused.push(q);
        return Promise.resolve(false);
      },
    });
    const svc = new WizardService({
      ...(v.home ? { home: v.home } : {}),
      runner: services.ssh,
      operator: 'cli',
      inventory: async () => {
        const st = await services.inventory.get();
        if (!st.inventory)
          throw new Error(
            `inventory ${st.path} is not valid: ${st.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
          );
        return st.inventory;
      },
      onProgress: v.json
        ? undefined
        : (step, p) =>
            process.stderr.write(
              `  [${step}] ${p.done}/${p.total} ${p.message}${p.etaMs !== null ? ` (ETA ${formatDuration(p.etaMs)})` : ''}\n`,
            ),
      onRecord: v.json
        ? undefined
        : (r) => {
            if (r.type === 'command-intent' && r.purpose === 'execute')
              process.stderr.write(`  [${r.step}] ${r.host}$ ${quoteArgv(r.argv)}${r.stdin ? ` < ${r.stdin}` : ''}\n`);
            else if (r.type === 'failed')
              process.stderr.write(`  [${r.step}] FAILED: ${r.reason}\n${r.evidence ? `${r.evidence}\n` : ''}`);
            else if (r.type === 'verified') process.stderr.write(`  [${r.step}] verified: ${r.evidence}\n`);
            else if (r.type === 'run-paused' && r.status === 'reconnecting')
              process.stderr.write(`  [${r.step ?? '-'}] PAUSED: ${r.message}\n`);
            else if (r.type === 'run-resumed') process.stderr.write(`  resumed: ${r.reason}\n`);
          },
    });
    try {
      if (v['known-hosts']) await services.knownHosts.importKnownHosts(v['known-hosts']);
      const pass = process.env['SWITCHYARD_VAULT_PASSPHRASE'];
      const vs = await services.vault.status();
      if (vs.exists && !vs.unlocked && pass) await services.vault.unlock({ passphrase: pass });
      const confirmations = Object.fromEntries(pairs(v.confirm, '--confirm'));
      switch (sub) {
        case 'list':
          for (const w of svc.list())
            console.log(
              v.json ? JSON.stringify(w) : `${w.id.padEnd(20)} ${w.title} (${w.steps} steps: ${w.phases.join(' → ')})`,
            );
          return 0;
        case 'plan': {
          if (!arg) throw new Error('plan needs a wizard id');
          const plan = await svc.plan(arg, readParams(v.params), { discover: v.discover === true });
          if (v.json) console.log(JSON.stringify(plan.steps));
          else {
            for (const s of plan.steps) {
              console.log(
                `\n## ${s.phase} / ${s.id} — ${s.title} [${s.risk}]${s.confirmation ? ` (type "${s.confirmation.expected}" to run)` : ''}`,
              );
              if (s.notApplicable) {
                console.log(`   (skipped: ${s.notApplicable})`);
                continue;
              }
              if (s.manual) console.log(s.manual.instructions.replace(/^/gm, '   | '));
              for (const c of s.commands)
                console.log(
                  `   ${c.host}$ ${quoteArgv(c.argv)}${c.stdinSecret ? ` < [secret ${c.stdinSecret}]` : ''}${c.captureSecret ? ` > [secret ${c.captureSecret}]` : ''}${c.note ? `   # ${c.note}` : ''}`,
                );
              if (s.wait)
                console.log(
                  `   (waits up to ${formatDuration(s.wait.timeoutMs)}, polling every ${formatDuration(s.wait.intervalMs)})`,
                );
            }
          }
          return 0;
        }
        case 'run':
        case 'resume': {
          if (!arg) throw new Error(`${sub} needs ${sub === 'run' ? 'a wizard id' : 'a run id'}`);
          let st: RunState;
          if (sub === 'run') st = await svc.start(arg, readParams(v.params), { confirmations });
          else {
            for (const [step, reason] of pairs(v.skip, '--skip')) await svc.skip(arg, step, reason);
            for (const step of v.rerun ?? []) await svc.rerun(arg, step);
            for (const step of v['manual-done'] ?? []) await svc.manualDone(arg, step);
            if (v.abort) {
              await svc.abort(arg, v.abort);
              st = svc.detail(arg).state;
            } else st = await svc.resume(arg, { confirmations });
          }
          // Manual steps named on the command line are done as soon as the run reaches them.
          const manual = new Set(v['manual-done'] ?? []);
          for (;;) {
            const waiting = st.steps.find((s) => s.status === st.status);
            if (st.status === 'waiting-manual' && waiting && manual.has(waiting.id) && sub === 'run') {
              manual.delete(waiting.id);
              await svc.manualDone(st.runId, waiting.id);
            } else if (!(await askOperator(svc, st))) break;
            st = await svc.resume(st.runId, { confirmations });
          }
          printState(st, v.json === true);
          return exitOf(st);
        }
        case 'runs':
          for (const r of svc.runs())
            console.log(
              v.json
                ? JSON.stringify(r)
                : `${r.runId}  ${r.status.padEnd(20)} ${r.stepsDone}/${r.stepsTotal}  ${r.title}`,
            );
          return 0;
        case 'report': {
          if (!arg) throw new Error('report needs a run id');
          const text = svc.report(arg, v.html ? 'html' : 'markdown');
          if (v.out) writeFileSync(v.out, text, { mode: 0o600 });
          else console.log(text);
          return 0;
        }
        default:
          console.error(`switchyard wizard: unknown subcommand ${sub}\n${HELP}`);
          return 2;
      }
    } catch (e) {
      console.error(`switchyard wizard: ${(e as Error).message}`);
      for (const q of refused)
        console.error(
          `refused unknown host key of ${q.hostId} (${q.host}:${q.port} ${q.keyType} ${q.fingerprint}): use --known-hosts or --accept-new-host-keys`,
        );
      return 1;
    } finally {
      svc.close();
      await services.close();
    }
  },
};
