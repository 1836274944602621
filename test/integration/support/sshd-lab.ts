/**
 * A throw-away OpenSSH lab for integration tests and benches: real Debian sshd processes on loopback addresses
 * (127.13.0.x), each with its own generated host key, config and log in a temp dir, and a dedicated test user
 * with a generated key pair (one plain, one passphrase-protected) and a random password. Nothing is mocked.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LAB_USER = 'swyit';

export interface LabSshd {
  name: string;
  address: string;
  port: number;
  hostKeyPub: string;
  /** `ssh-keygen -lf` of the host key: `SHA256:...` */
  fingerprint: string;
  log: string;
  proc: ChildProcess;
}

export interface SshdLab {
  dir: string;
  user: string;
  password: string;
  key: string;
  encryptedKey: string;
  keyPassphrase: string;
  sshd: Record<string, LabSshd>;
  readLog(name: string): string;
  stop(): Promise<void>;
}

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
}

function ensureUser(password: string): void {
  if (!existsSync('/usr/sbin/sshd')) {
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=900', 'install', '-y', 'openssh-server'], { stdio: 'inherit' });
  }
  try {
    sh('id', [LAB_USER]);
  } catch {
    sh('useradd', ['-m', '-s', '/bin/bash', '-c', 'Switchyard integration tests', LAB_USER]);
  }
  // chpasswd reads user:password on stdin: the password never appears in any argv.
  sh('chpasswd', [], `${LAB_USER}:${password}\n`);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
}

function waitForPort(address: string, port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect({ host: address, port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`sshd on ${address}:${port} did not start`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts one sshd per entry of `hosts` (name → address), all on `port`. */
export async function startSshdLab(hosts: Record<string, string>, port = 22): Promise<SshdLab> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-sshd-lab-'));
  // sshd reads AuthorizedKeysFile as the target user: the directory must be traversable.
  chmodSync(dir, 0o755);
  const password = randomBytes(12).toString('base64url');
  ensureUser(password);
  const keyPassphrase = randomBytes(9).toString('base64url');
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'swyit-plain', '-f', join(dir, 'user_key')]);
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', keyPassphrase, '-C', 'swyit-enc', '-f', join(dir, 'user_key_enc')]);
  writeFileSync(
    join(dir, 'authorized_keys'),
    readFileSync(join(dir, 'user_key.pub'), 'utf8') + readFileSync(join(dir, 'user_key_enc.pub'), 'utf8'),
    { mode: 0o644 },
  );

  const sshd: Record<string, LabSshd> = {};
  for (const [name, address] of Object.entries(hosts)) {
    const hd = join(dir, name);
    mkdirSync(hd, { mode: 0o755 });
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `host-${name}`, '-f', join(hd, 'host_ed25519')]);
    const config = [
      `ListenAddress ${address}:${port}`,
      `HostKey ${join(hd, 'host_ed25519')}`,
      `PidFile ${join(hd, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication yes',
      'UsePAM yes',
      'PermitRootLogin no',
      `AllowUsers ${LAB_USER}`,
      'AllowTcpForwarding yes',
      'MaxSessions 10',
      'MaxStartups 100:30:200',
      'LogLevel DEBUG1',
      'PrintMotd no',
      '',
    ].join('\n');
    writeFileSync(join(hd, 'sshd_config'), config);
    sh('/usr/sbin/sshd', ['-t', '-f', join(hd, 'sshd_config')]);
    const log = join(hd, 'sshd.log');
    writeFileSync(log, '');
    const proc = spawn('/usr/sbin/sshd', ['-D', '-f', join(hd, 'sshd_config'), '-E', log], { stdio: 'ignore' });
    const fingerprint = sh('ssh-keygen', ['-lf', join(hd, 'host_ed25519.pub')]).split(' ')[1] ?? '';
    sshd[name] = {
      name,
      address,
      port,
      hostKeyPub: readFileSync(join(hd, 'host_ed25519.pub'), 'utf8').trim(),
      fingerprint,
      log,
      proc,
    };
  }
  await Promise.all(Object.values(sshd).map((s) => waitForPort(s.address, s.port, 10_000)));

  return {
    dir,
    user: LAB_USER,
    password,
    key: readFileSync(join(dir, 'user_key'), 'utf8'),
    encryptedKey: readFileSync(join(dir, 'user_key_enc'), 'utf8'),
    keyPassphrase,
    sshd,
    readLog: (name) => readFileSync(sshd[name]?.log ?? '/dev/null', 'utf8'),
    stop: async () => {
      await Promise.all(
        Object.values(sshd).map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.proc.exitCode !== null || s.proc.signalCode !== null) return resolve();
              s.proc.once('exit', () => resolve());
              s.proc.kill('SIGTERM');
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
