import { userInfo } from 'node:os';
import SSHConfig from 'ssh-config';
import { nameSchema, type Host } from '../../common/inventory/schema';

/**
 * Hosts from an OpenSSH client config (Host, HostName, Port, User, IdentityFile, ProxyJump), parsed by the
 * ssh-config library with `Match exec` evaluation off (the text may come from anywhere). Wildcard patterns are
 * defaults, not hosts, and are skipped. An IdentityFile becomes `auth: key` whose keyRef is the file path: add
 * that key to the vault under that label. Without one, the host uses the SSH agent.
 */
export function importSshConfig(text: string): Host[] {
  const config = SSHConfig.parse(text);
  const aliases: string[] = [];
  for (const line of config) {
    if (line.type !== SSHConfig.DIRECTIVE || line.param.toLowerCase() !== 'host') continue;
    const values = typeof line.value === 'string' ? [line.value] : line.value.map((v) => v.val);
    for (const v of values) if (!/[*?!]/.test(v) && !aliases.includes(v)) aliases.push(v);
  }
  const defaultUser = safeUser();
  const hosts: Host[] = [];
  for (const alias of aliases) {
    const c = config.compute(alias, { matchExec: false, ignoreCase: true });
    const get = (k: string): string | undefined => {
      const v = c[k.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    };
    const id = toId(alias);
    const address = expand(get('HostName') ?? alias, alias);
    const port = Number(get('Port') ?? 22);
    const identity = get('IdentityFile');
    const jump = get('ProxyJump');
    const host: Host = {
      id,
      address,
      port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 22,
      user: get('User') ?? defaultUser,
      auth: identity ? { method: 'key', keyRef: expand(identity, alias) } : { method: 'agent' },
      roles: [],
    };
    if (jump && jump.toLowerCase() !== 'none') host.jump = toId(firstHop(jump));
    hosts.push(host);
  }
  return hosts;
}

/** `user@host:port,next` → `host` (the first hop; Switchyard chains further hops through the jump's own jump). */
function firstHop(spec: string): string {
  const first = spec.split(',')[0] ?? spec;
  const noUser = first.includes('@') ? first.slice(first.lastIndexOf('@') + 1) : first;
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(noUser);
  if (bracket?.[1]) return bracket[1];
  return noUser.replace(/:\d+$/, '');
}

function expand(value: string, alias: string): string {
  return value.replace(/%([%h])/g, (_m, c: string) => (c === 'h' ? alias : '%'));
}

/** Inventory ids are restricted (they reach argv and file names); keep the alias when it already fits. */
function toId(alias: string): string {
  if (nameSchema.safeParse(alias).success) return alias;
  const cleaned = alias
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return cleaned === '' ? 'host' : cleaned;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch (err) {
    console.warn(`ssh_config import: cannot tell the local user name (${(err as Error).message}); using root`);
    return 'root';
  }
}
