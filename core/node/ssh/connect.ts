import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type {
  Client as ClientType,
  ConnectConfig,
  KeyboardInteractiveAuthMethod,
  AgentAuthMethod,
  PasswordAuthMethod,
  PublicKeyAuthMethod,
} from 'ssh2';
import { ApiErrorException } from '../../common/contract/define';
import type { Host } from '../../common/inventory/schema';
import type { HostKeyDecider } from '../../common/ports';
import { mapConnectError } from './errors';
import type { KnownHostsStore } from './known-hosts';
import type { SecretProvider } from './ports';

const { Client } = ssh2;
export type SshClient = ClientType;

export interface DialOptions {
  host: Host;
  knownHosts: KnownHostsStore;
  decider: HostKeyDecider;
  secrets: SecretProvider;
  timeoutMs: number;
  /** How long the operator may take to answer a host-key question (the connect timer pauses meanwhile). */
  decisionTimeoutMs?: number;
  keepaliveIntervalMs: number;
  /** A stream through a jump host (forwardOut); absent for a direct TCP connection. */
  sock?: Duplex;
}

type AuthEntry = PublicKeyAuthMethod | PasswordAuthMethod | KeyboardInteractiveAuthMethod | AgentAuthMethod;

function authFor(host: Host, secrets: SecretProvider): AuthEntry {
  const username = host.user;
  const a = host.auth;
  switch (a.method) {
    case 'key': {
      const s = secrets.getSecret(a.keyRef);
      return s.keyPassphrase === undefined
        ? { type: 'publickey', username, key: s.value }
        : { type: 'publickey', username, key: s.value, passphrase: s.keyPassphrase };
    }
    case 'password':
      return { type: 'password', username, password: secrets.getSecret(a.passwordRef).value };
    case 'keyboard-interactive': {
      const password = secrets.getSecret(a.passwordRef).value;
      // PAM asks "Password:" (one echo-off prompt); answer every prompt of the round with the stored password.
      return {
        type: 'keyboard-interactive',
        username,
        prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map(() => password)),
      };
    }
    case 'agent': {
      const agent = a.socket ?? process.env.SSH_AUTH_SOCK;
      if (!agent)
        throw new ApiErrorException(
          'auth-failed',
          `host ${host.id}: agent auth, but no agent socket (SSH_AUTH_SOCK unset)`,
        );
      return { type: 'agent', username, agent };
    }
  }
}

/** Host key algorithm names per key type, so a host we know is asked for the key type we trust first. */
function hostKeyAlgorithms(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [keyType];
}
const DEFAULT_HOST_KEY_ALGOS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Opens one authenticated SSH connection. The host key is checked before any credential is sent: unknown →
 * the decider (the operator) decides; changed → refused with host-key-changed naming both fingerprints.
 * Resolves only when ready; rejects with a typed error within `timeoutMs`.
 */
export async function dial(o: DialOptions): Promise<SshClient> {
  const { host } = o;
  const where = `host ${host.id} (${host.user}@${host.address}:${host.port})`;
  const auth = authFor(host, o.secrets);
  const known = await o.knownHosts.knownTypes(host.address, host.port);
  const preferred = [...new Set([...known.flatMap(hostKeyAlgorithms), ...DEFAULT_HOST_KEY_ALGOS])];
  let keyFailure: ApiErrorException | null = null;
  // Set once the promise below exists: pauses the connect timer while a person reads a fingerprint.
  let pauseGuard: (paused: boolean) => void = () => undefined;

  const ask = async (q: Parameters<HostKeyDecider>[0]): Promise<boolean> => {
    pauseGuard(true);
    let timer: NodeJS.Timeout | undefined;
    try {
      const limit = o.decisionTimeoutMs ?? 120_000;
      return await Promise.race([
        o.decider(q),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), limit);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      pauseGuard(false);
    }
  };

  const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
    void (async () => {
      const check = await o.knownHosts.check(host.address, host.port, key);
      if (check.status === 'known') return true;
      if (check.status === 'changed') {
        keyFailure = new ApiErrorException(
          'host-key-changed',
          `HOST KEY CHANGED for ${host.id} (${host.address}:${host.port}): trusted ${check.keyType} key ${check.previous.fingerprint}, the host now presents ${check.fingerprint}. Refusing to connect; no credentials were sent. If the host was really reinstalled, remove the old key and verify the new fingerprint out of band.`,
          {
            detail: {
              hostId: host.id,
              host: host.address,
              port: host.port,
              keyType: check.keyType,
              old: check.previous.fingerprint,
              new: check.fingerprint,
            },
          },
        );
        return false;
      }
      const accepted = await ask({
        hostId: host.id,
        host: host.address,
        port: host.port,
        keyType: check.keyType,
        fingerprint: check.fingerprint,
      });
      if (!accepted) {
        keyFailure = new ApiErrorException(
          'host-key-rejected',
          `the ${check.keyType} host key ${check.fingerprint} of ${host.id} (${host.address}:${host.port}) was not accepted`,
          {
            detail: { hostId: host.id, fingerprint: check.fingerprint },
          },
        );
        return false;
      }
      await o.knownHosts.add(host.address, host.port, key, 'accepted');
      return true;
    })().then(verify, (err: unknown) => {
      keyFailure = mapConnectError(err, where);
      verify(false);
    });
  };

  const client = new Client();
  return new Promise<SshClient>((resolve, reject) => {
    let settled = false;
    const finish = (err: ApiErrorException | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      if (err) {
        client.removeAllListeners('ready');
        client.destroy();
        reject(err);
      } else {
        resolve(client);
      }
    };
    // One timer for TCP connect + handshake + auth (ssh2's readyTimeout is off: it cannot pause while the
    // operator answers a host-key question).
    const onTimeout = () =>
      finish(new ApiErrorException('timeout', `${where}: no SSH connection within ${o.timeoutMs} ms`));
    let guard = setTimeout(onTimeout, o.timeoutMs);
    pauseGuard = (paused) => {
      clearTimeout(guard);
      if (!paused && !settled) guard = setTimeout(onTimeout, o.timeoutMs);
    };
    client.on('ready', () => {
      client.setNoDelay(true);
      finish(null);
    });
    client.on('error', (err) => finish(keyFailure ?? mapConnectError(err, where)));
    client.on('close', () =>
      finish(
        keyFailure ?? new ApiErrorException('unreachable', `${where}: connection closed during the SSH handshake`),
      ),
    );
    const cfg: ConnectConfig = {
      host: host.address,
      port: host.port,
      username: host.user,
      readyTimeout: 0,
      keepaliveInterval: o.keepaliveIntervalMs,
      keepaliveCountMax: 3,
      hostVerifier,
      authHandler: [auth],
      algorithms: { serverHostKey: preferred as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
    };
    if (o.sock) cfg.sock = o.sock;
    try {
      client.connect(cfg);
    } catch (err) {
      finish(mapConnectError(err, where));
    }
  });
}
