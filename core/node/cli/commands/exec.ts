import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { ApiErrorException } from '../../../common/contract/define';
import type { Host } from '../../../common/inventory/schema';
import type { HostKeyQuestion } from '../../../common/ports';
import { createCoreServices, type CoreServices } from '../../services';
import type { CliCommand } from '../main';
import { getPassphrase } from '../secret-input';
import { createInterface } from 'node:readline/promises';

const HELP = `usage: switchyard exec --host H [--inventory FILE] [--timeout S] [options] -- ARGV...

Runs ARGV on inventory host H over SSH (each element arrives as one argument, quoted for the remote shell),
streams its stdout/stderr, records it in the audit log and exits with the remote exit code
(124 on timeout, 128+N when killed by signal N, 255 when it could not run).

  --inventory FILE           inventory YAML (default <home>/inventory.yaml)
  --timeout S                seconds before the command is killed (default 300)
  --accept-host-key SHA256:… trust an unknown host key only if it has exactly this fingerprint
  --json                     print the result as JSON instead of streaming
  --home DIR                 data directory (default SWITCHYARD_HOME or ~/.switchyard)
  --passphrase-file F        vault passphrase (else SWITCHYARD_VAULT_PASSPHRASE, else a prompt)
An unknown host key is asked about on a terminal (fingerprint shown); without a terminal it is refused.`;

export const command: CliCommand = {
  name: 'exec',
  summary: 'run one command (argv) on an inventory host over SSH, audited',
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          host: { type: 'string' },
          inventory: { type: 'string' },
          timeout: { type: 'string' },
          'accept-host-key': { type: 'string' },
          json: { type: 'boolean' },
          home: { type: 'string' },
          'passphrase-file': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      console.error(`switchyard exec: ${(err as Error).message}`);
      return 2;
    }
    const v = parsed.values;
    if (v.help) {
      console.log(HELP);
      return 0;
    }
    const argv = parsed.positionals;
    const timeoutS = v.timeout === undefined ? 300 : Number(v.timeout);
    if (!v.host || argv.length === 0 || !Number.isFinite(timeoutS) || timeoutS <= 0) {
      console.error(`switchyard exec: need --host H and -- ARGV (and a positive --timeout)\n\n${HELP}`);
      return 2;
    }
    const services = createCoreServices({
      hostKeyDecider: (q) => decideHostKey(q, v['accept-host-key']),
      ...(v.home === undefined ? {} : { home: v.home }),
      ...(v.inventory === undefined ? {} : { inventoryPath: v.inventory }),
    });
    try {
      await unlockIfNeeded(services, v.host, v['passphrase-file']);
      const r = await services.ssh.run(v.host, argv, {
        timeoutMs: Math.round(timeoutS * 1000),
        origin: 'cli',
        ...(v.json
          ? {}
          : { onStdout: (s: string) => process.stdout.write(s), onStderr: (s: string) => process.stderr.write(s) }),
      });
      if (v.json) console.log(JSON.stringify(r));
      if (r.timedOut) {
        console.error(`switchyard exec: timed out after ${timeoutS} s on ${v.host}; the command was killed`);
        return 124;
      }
      if (r.signal) return 128 + (constants.signals[r.signal as keyof typeof constants.signals] ?? 0);
      return r.exitCode ?? 255;
    } catch (err) {
      const msg =
        err instanceof ApiErrorException
          ? `${err.code}: ${err.message}`
          : err instanceof Error
            ? err.message
            : String(err);
      console.error(`switchyard exec: ${msg}`);
      return 255;
    } finally {
      await services.close();
    }
  },
};

async function decideHostKey(q: HostKeyQuestion, expected: string | undefined): Promise<boolean> {
  const desc = `${q.hostId} (${q.host}:${q.port}) presents an unknown ${q.keyType} host key\n  ${q.fingerprint}`;
  if (expected !== undefined) {
    if (expected === q.fingerprint) return true;
    console.error(`switchyard exec: ${desc}\n  which is not the expected ${expected}`);
    return false;
  }
  if (!process.stdin.isTTY) {
    console.error(
      `switchyard exec: ${desc}\n  Verify it out of band, then rerun with --accept-host-key ${q.fingerprint}`,
    );
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${desc}\nTrust this key? Type "yes" to continue: `);
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

/** The vault is opened only when the host (or a jump host on its way) authenticates with a stored secret. */
async function unlockIfNeeded(s: CoreServices, hostId: string, passphraseFile: string | undefined): Promise<void> {
  const inv = await s.inventory.load();
  const byId = new Map<string, Host>(inv.hosts.map((h) => [h.id, h]));
  let cur = byId.get(hostId);
  const seen = new Set<string>();
  let needed = false;
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    if (cur.auth.method !== 'agent') needed = true;
    cur = cur.jump === undefined ? undefined : byId.get(cur.jump);
  }
  if (needed)
    await s.vault.unlock({ passphrase: await getPassphrase(passphraseFile === undefined ? {} : { passphraseFile }) });
}
