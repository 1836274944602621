import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** What the journeys need to know about the environment this setup started. */
export interface E2eState {
  url: string;
  origin: string;
  sshAddress: string;
  sshPort: number;
  sshUser: string;
  clientKeyPath: string;
  hostKeyFingerprint: string;
  /** A second sshd whose key differs from the one ~/.ssh/known_hosts (imported in the test) records for it. */
  changedAddress: string;
  changedFingerprint: string;
  home: string;
  screenshots: string;
}

const SSH_ADDRESS = process.env.SWITCHYARD_E2E_SSH_ADDRESS ?? '127.14.0.2';
const CHANGED_ADDRESS = process.env.SWITCHYARD_E2E_SSH_ADDRESS2 ?? '127.14.0.3';
const SSH_PORT = 2222;

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${String(r.status)}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

function startSshd(
  dir: string,
  name: string,
  address: string,
): { pidFile: string; fingerprint: string; clientKey: string; hostKeyPub: string } {
  const hostKey = join(dir, `${name}_host_ed25519_key`);
  const clientKey = join(dir, 'client_ed25519');
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}-host`, '-f', hostKey]);
  if (!existsSync(clientKey))
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'e2e-operator', '-f', clientKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  const pidFile = join(dir, `${name}-sshd.pid`);
  const config = [
    `ListenAddress ${address}`,
    `Port ${SSH_PORT}`,
    `HostKey ${hostKey}`,
    `PidFile ${pidFile}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'LogLevel VERBOSE',
  ].join('\n');
  writeFileSync(join(dir, `${name}-sshd_config`), `${config}\n`);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  run('/usr/sbin/sshd', ['-f', join(dir, `${name}-sshd_config`), '-E', join(dir, `${name}-sshd.log`)]);
  // sshd forks before binding; without a pid file it failed (address in use?) and logged why.
  const until = Date.now() + 5000;
  while (!existsSync(pidFile) && Date.now() < until) spawnSync('sleep', ['0.05']);
  if (!existsSync(pidFile))
    throw new Error(`sshd ${name} did not start: ${readFileSync(join(dir, `${name}-sshd.log`), 'utf8')}`);
  // "256 SHA256:… e2e-host (ED25519)"
  const fingerprint = run('ssh-keygen', ['-lf', `${hostKey}.pub`]).split(' ')[1] ?? '';
  return { pidFile, fingerprint, clientKey, hostKeyPub: readFileSync(`${hostKey}.pub`, 'utf8') };
}

/** A HOME for the host process: ~/.ssh/config to import, and a known_hosts that pins a key the second sshd
 * does not have (what a reinstalled or impersonated host looks like). */
function fakeHome(dir: string, clientKey: string, changedAddress: string, staleKeyPub: string): string {
  const home = join(dir, 'operator-home');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const [type, blob] = staleKeyPub.split(' ');
  writeFileSync(join(home, '.ssh', 'known_hosts'), `[${changedAddress}]:${SSH_PORT} ${type ?? ''} ${blob ?? ''}\n`);
  const config = [
    'Host e2e-bastion',
    `  HostName ${SSH_ADDRESS}`,
    `  Port ${SSH_PORT}`,
    '  User root',
    `  IdentityFile ${clientKey}`,
    'Host e2e-changed',
    `  HostName ${changedAddress}`,
    `  Port ${SSH_PORT}`,
    '  User root',
  ].join('\n');
  writeFileSync(join(home, '.ssh', 'config'), `${config}\n`);
  return home;
}

function startHost(home: string, operatorHome: string): Promise<{ child: ChildProcess; url: string; origin: string }> {
  const child = spawn('bin/switchyard', ['serve', '--json', '--home', home], {
    env: { ...process.env, SWITCHYARD_HOME: home, HOME: operatorHome },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('switchyard serve did not print its URL within 120 s')), 120_000);
    child.once('exit', (code) => reject(new Error(`switchyard serve exited early with ${String(code)}`)));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      const info = JSON.parse(line) as { url: string; origin: string };
      resolve({ child, url: info.url, origin: info.origin });
    });
  });
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (process.env.SWITCHYARD_E2E_SKIP_BUILD !== '1') run('npm', ['run', '-s', 'build']);
  const dir = mkdtempSync(join(tmpdir(), 'sy-e2e-'));
  const home = join(dir, 'home');
  mkdirSync(home, { mode: 0o700 });
  const pidFiles: string[] = [];
  const stopSshds = () => {
    for (const pidFile of pidFiles) {
      try {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        if (pid > 0) process.kill(pid, 'SIGTERM');
      } catch (err) {
        console.error('could not stop an e2e sshd:', err);
      }
    }
  };
  let sshd: ReturnType<typeof startSshd>;
  let changed: ReturnType<typeof startSshd>;
  let host: Awaited<ReturnType<typeof startHost>>;
  try {
    sshd = startSshd(dir, 'main', SSH_ADDRESS);
    pidFiles.push(sshd.pidFile);
    changed = startSshd(dir, 'changed', CHANGED_ADDRESS);
    pidFiles.push(changed.pidFile);
    const stale = join(dir, 'stale_host_key');
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stale', '-f', stale]);
    const operatorHome = fakeHome(dir, sshd.clientKey, CHANGED_ADDRESS, readFileSync(`${stale}.pub`, 'utf8'));
    host = await startHost(home, operatorHome);
  } catch (err) {
    // Leave nothing listening behind: a stale sshd would answer the next run with the wrong host key.
    stopSshds();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const screenshots = join(process.cwd(), 'test-results', 'screenshots');
  mkdirSync(screenshots, { recursive: true });
  const state: E2eState = {
    url: host.url,
    origin: host.origin,
    sshAddress: SSH_ADDRESS,
    sshPort: SSH_PORT,
    sshUser: process.env.USER ?? 'root',
    clientKeyPath: sshd.clientKey,
    hostKeyFingerprint: sshd.fingerprint,
    changedAddress: CHANGED_ADDRESS,
    changedFingerprint: changed.fingerprint,
    home,
    screenshots,
  };
  const stateFile = join(dir, 'state.json');
  writeFileSync(stateFile, JSON.stringify(state));
  process.env.SWITCHYARD_E2E_STATE = stateFile;

  return async () => {
    host.child.kill('SIGTERM');
    stopSshds();
    if (process.env.SWITCHYARD_E2E_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  };
}
