/**
 * The Ceph + SSH lab (test/lab/lab.sh, default profile) seen the way the console sees it: OpenSSH as the operator
 * `swyop`, host keys verified against the lab's known_hosts, plain `ceph`/`rbd` on each mon host talking to that
 * host's cluster. Checks health, two-way mirror peers, journal replication of a new image, password auth, and the
 * stop-site / kill-host faults with their recovery. Every wait polls observed state with a bound.
 *
 * Needs a running lab: `npm run lab:up` (SWITCHYARD_LAB_DIR / SWITCHYARD_LAB_NET select which one).
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { quoteArgv } from '../../core/common/commands/quote';

const LabJson = z.object({
  profile: z.enum(['default', 'migration']),
  net: z.string(),
  labDir: z.string(),
  knownHostsPath: z.string(),
  hosts: z.array(
    z.object({
      name: z.string(),
      site: z.string().nullable(),
      role: z.enum(['ceph-mon', 'openstack-controller', 'bastion']),
      address: z.string(),
      port: z.number(),
      user: z.string(),
      privateKeyPath: z.string(),
      passwordPath: z.string(),
      hostKeyFingerprintSHA256: z.string().startsWith('SHA256:'),
    }),
  ),
  clusters: z.array(
    z.object({
      name: z.string(),
      fsid: z.string(),
      monAddr: z.string(),
      confPath: z.string(),
      keyringPath: z.string(),
      pools: z.array(z.object({ name: z.string(), mirrorMode: z.string() })),
    }),
  ),
});
type Lab = z.infer<typeof LabJson>;
type LabHost = Lab['hosts'][number];

const LAB_DIR = process.env['SWITCHYARD_LAB_DIR'] ?? '/var/tmp/switchyard-lab';
const LAB_SH = resolve(import.meta.dirname, '../lab/lab.sh');

function loadLab(): Lab {
  const path = join(LAB_DIR, 'lab.json');
  if (!existsSync(path)) throw new Error(`no lab at ${LAB_DIR} (missing ${path}): run npm run lab:up first`);
  return LabJson.parse(JSON.parse(readFileSync(path, 'utf8')));
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a local program with a wall-clock limit; never rejects, the caller judges the exit code. */
function run(file: string, args: string[], opts: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((done) => {
    execFile(
      file,
      args,
      { timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, env: opts.env ?? process.env },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        done({ code, stdout, stderr, ms: Date.now() - t0 });
      },
    );
  });
}

function sshArgs(lab: Lab, host: LabHost, extra: string[] = []): string[] {
  return [
    '-i',
    host.privateKeyPath,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${lab.knownHostsPath}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'ConnectTimeout=5',
    '-p',
    String(host.port),
    ...extra,
    `${host.user}@${host.address}`,
  ];
}

/** One remote command over SSH, built from an argv through the single quoting function. */
function ssh(lab: Lab, host: LabHost, argv: string[], timeoutMs = 30_000): Promise<RunResult> {
  return run('ssh', [...sshArgs(lab, host, ['-o', 'BatchMode=yes']), quoteArgv(argv)], { timeoutMs });
}

async function sshJson(lab: Lab, host: LabHost, argv: string[]): Promise<unknown> {
  const r = await ssh(lab, host, argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} on ${host.name}: rc=${String(r.code)} ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

/** Polls `probe` until it returns a value (not undefined) or `limitMs` passes; returns the value and elapsed ms. */
async function pollUntil<T>(
  what: string,
  limitMs: number,
  probe: () => Promise<T | undefined>,
): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return { value: v, ms: Date.now() - t0 };
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() - t0 > limitMs) throw new Error(`timed out after ${limitMs} ms waiting for ${what} ${last}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function labSh(lab: Lab, args: string[]): Promise<RunResult> {
  return run('bash', [LAB_SH, ...args], {
    timeoutMs: 180_000,
    env: { ...process.env, SWITCHYARD_LAB_DIR: lab.labDir, SWITCHYARD_LAB_NET: lab.net },
  });
}

const HealthJson = z.object({ status: z.string() });
const MirrorPoolInfo = z.object({
  mode: z.string(),
  site_name: z.string().optional(),
  peers: z.array(z.object({ site_name: z.string(), direction: z.string(), client_name: z.string() })).optional(),
});
const ImageStatus = z.object({ state: z.string(), description: z.string() });

const lab = loadLab();
const monHost = (site: string): LabHost => {
  const h = lab.hosts.find((x) => x.role === 'ceph-mon' && x.site === site);
  if (h === undefined) throw new Error(`lab.json has no mon host for ${site}`);
  return h;
};
const hostNamed = (name: string): LabHost => {
  const h = lab.hosts.find((x) => x.name === name);
  if (h === undefined) throw new Error(`lab.json has no host ${name}`);
  return h;
};
const healthOk = (site: string) => async (): Promise<true | undefined> => {
  const h = HealthJson.parse(
    await sshJson(lab, monHost(site), ['ceph', 'health', '--format', 'json', '--connect-timeout', '5']),
  );
  return h.status === 'HEALTH_OK' ? true : undefined;
};

describe.runIf(lab.profile === 'default')('lab: ceph + ssh (default profile)', () => {
  it('every lab host answers as the operator, with the host key from known_hosts', async () => {
    const results = await Promise.all(lab.hosts.map((h) => ssh(lab, h, ['id', '-un'])));
    for (const [i, r] of results.entries()) {
      expect(r.code, `${lab.hosts[i]?.name ?? '?'}: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim()).toBe('swyop');
    }
    const kh = readFileSync(lab.knownHostsPath, 'utf8');
    for (const h of lab.hosts) expect(kh).toContain(`[${h.address}]:${String(h.port)} ssh-ed25519 `);
  });

  it('refuses a host whose key is not in known_hosts', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'swy-kh-'));
    try {
      writeFileSync(join(empty, 'known_hosts'), '');
      const h = hostNamed('bastion');
      const r = await run(
        'ssh',
        [...sshArgs({ ...lab, knownHostsPath: join(empty, 'known_hosts') }, h, ['-o', 'BatchMode=yes']), 'true'],
        {
          timeoutMs: 20_000,
        },
      );
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/Host key verification failed/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it.each(['password', 'keyboard-interactive'])('accepts the operator password by %s', async (method) => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-askpass-'));
    try {
      const h = hostNamed('bastion');
      const askpass = join(dir, 'askpass.sh');
      // The password reaches ssh through SSH_ASKPASS reading the 0600 file: never argv, never the environment.
      writeFileSync(askpass, `#!/bin/sh\nexec cat ${quoteArgv([h.passwordPath])}\n`);
      chmodSync(askpass, 0o700);
      const args = [
        '-o',
        `UserKnownHostsFile=${lab.knownHostsPath}`,
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        `PreferredAuthentications=${method}`,
        '-o',
        'PubkeyAuthentication=no',
        '-o',
        'NumberOfPasswordPrompts=1',
        '-p',
        String(h.port),
        `${h.user}@${h.address}`,
        'id -un',
      ];
      const r = await run('ssh', args, {
        timeoutMs: 20_000,
        env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('swyop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('both clusters reach HEALTH_OK, each mon host talking to its own cluster', async () => {
    for (const c of lab.clusters) {
      await pollUntil(`${c.name} HEALTH_OK`, 120_000, healthOk(c.name));
      const fsid = await ssh(lab, monHost(c.name), ['ceph', 'fsid', '--connect-timeout', '5']);
      expect(fsid.stdout.trim()).toBe(c.fsid);
    }
  });

  it('mirror pool info shows the two-way peer on every pool', async () => {
    const expected: Record<string, string> = { images: 'image', volumes: 'image', vms: 'pool' };
    for (const c of lab.clusters) {
      const other = lab.clusters.find((x) => x.name !== c.name)?.name;
      for (const [pool, mode] of Object.entries(expected)) {
        const info = MirrorPoolInfo.parse(
          await sshJson(lab, monHost(c.name), ['rbd', 'mirror', 'pool', 'info', pool, '--format', 'json']),
        );
        expect(info.mode, `${c.name}/${pool}`).toBe(mode);
        expect(info.site_name).toBe(c.name);
        expect(info.peers).toEqual([
          expect.objectContaining({ site_name: other, direction: 'rx-tx', client_name: 'client.rbd-mirror-peer' }),
        ]);
      }
    }
    const sched = await sshJson(lab, monHost('site-a'), [
      'rbd',
      'mirror',
      'snapshot',
      'schedule',
      'ls',
      '--pool',
      'images',
      '--format',
      'json',
    ]);
    expect(sched).toEqual([expect.objectContaining({ interval: expect.stringMatching(/^\d+[mhd]$/) as unknown })]);
  });

  it('an image created on site-a in vms is up+replaying on site-b within 90 s', async () => {
    const image = `vms/lab-test-${String(Date.now())}`;
    const a = monHost('site-a');
    const b = monHost('site-b');
    const created = await ssh(lab, a, [
      'rbd',
      'create',
      '--size',
      '64M',
      '--image-feature',
      'layering,exclusive-lock,journaling',
      image,
    ]);
    expect(created.code, created.stderr).toBe(0);
    try {
      // Mirror state is published in ~30 s steps (ceph-facts #5): poll with a grace period, never expect it sooner.
      const { ms } = await pollUntil(`${image} up+replaying on site-b`, 90_000, async () => {
        const st = ImageStatus.parse(
          await sshJson(lab, b, ['rbd', 'mirror', 'image', 'status', image, '--format', 'json']),
        );
        return st.state === 'up+replaying' ? st : undefined;
      });
      console.log(`lab-ceph: ${image} up+replaying on site-b after ${String(ms)} ms`);
      const info = await sshJson(lab, b, ['rbd', 'info', image, '--format', 'json']);
      expect(info).toMatchObject({ mirroring: { mode: 'journal', primary: false } });
    } finally {
      const rm = await ssh(lab, a, ['rbd', 'rm', '--no-progress', image], 60_000);
      expect(rm.code, rm.stderr).toBe(0);
    }
  });

  describe('faults', () => {
    let siteStopped = false;
    let hostKilled = false;
    beforeAll(async () => {
      await pollUntil('site-b HEALTH_OK before faults', 120_000, healthOk('site-b'));
    });
    afterAll(async () => {
      // Leave the lab as we found it even when an assertion failed half-way.
      if (siteStopped) await labSh(lab, ['fault', 'start-site', 'site-b']);
      if (hostKilled) await labSh(lab, ['fault', 'start-host', 'bastion']);
    });

    it('stop-site makes the site unreachable quickly and start-site brings HEALTH_OK back', async () => {
      const b = monHost('site-b');
      const bConf = lab.clusters.find((c) => c.name === 'site-b')?.confPath ?? '';
      const stop = await labSh(lab, ['fault', 'stop-site', 'site-b']);
      siteStopped = true;
      expect(stop.code, stop.stderr).toBe(0);

      const direct = await ssh(lab, b, ['true'], 15_000);
      expect(direct.code).toBe(255);
      expect(direct.stderr).toMatch(/Connection refused/);

      // The other site's admin host still sees site-b's cluster fail fast with a connect timeout.
      const viaA = await ssh(lab, monHost('site-a'), ['ceph', '-c', bConf, '-s', '--connect-timeout', '5'], 30_000);
      expect(viaA.code).not.toBe(0);
      expect(viaA.ms).toBeLessThan(15_000);

      const start = await labSh(lab, ['fault', 'start-site', 'site-b']);
      expect(start.code, start.stderr).toBe(0);
      siteStopped = false;
      const { ms } = await pollUntil('site-b HEALTH_OK after start-site', 120_000, healthOk('site-b'));
      console.log(`lab-ceph: site-b HEALTH_OK ${String(ms)} ms after start-site returned`);
    });

    it('kill-host drops the bastion sshd and start-host brings it back', async () => {
      const h = hostNamed('bastion');
      const kill = await labSh(lab, ['fault', 'kill-host', 'bastion']);
      hostKilled = true;
      expect(kill.code, kill.stderr).toBe(0);
      const r = await ssh(lab, h, ['true'], 15_000);
      expect(r.code).toBe(255);
      const start = await labSh(lab, ['fault', 'start-host', 'bastion']);
      expect(start.code, start.stderr).toBe(0);
      hostKilled = false;
      const again = await ssh(lab, h, ['id', '-un']);
      expect(again.code, again.stderr).toBe(0);
    });
  });
});

describe.runIf(lab.profile === 'migration')('lab: ceph + ssh (migration profile)', () => {
  it('site-a is a plain source: three pools, mirroring disabled, HEALTH_OK', async () => {
    await pollUntil('site-a HEALTH_OK', 120_000, healthOk('site-a'));
    for (const pool of ['images', 'volumes', 'vms']) {
      const info = MirrorPoolInfo.parse(
        await sshJson(lab, monHost('site-a'), ['rbd', 'mirror', 'pool', 'info', pool, '--format', 'json']),
      );
      expect(info.mode, pool).toBe('disabled');
    }
  });

  it('site-b is an empty cluster: no rbd pools, HEALTH_OK', async () => {
    await pollUntil('site-b HEALTH_OK', 120_000, healthOk('site-b'));
    const pools = z
      .array(z.object({ pool_name: z.string(), application_metadata: z.record(z.string(), z.unknown()) }))
      .parse(
        await sshJson(lab, monHost('site-b'), [
          'ceph',
          'osd',
          'pool',
          'ls',
          'detail',
          '--format',
          'json',
          '--connect-timeout',
          '5',
        ]),
      );
    expect(pools.filter((p) => 'rbd' in p.application_metadata)).toEqual([]);
  });
});
