/**
 * OpenStack lists through the controller host. First the bulk REST program (one exec, ~0.1 s of Python start-up
 * plus the API calls); if Python/REST is not usable there, the three `openstack ... list` CLI calls in parallel
 * (1.2–2.2 s each, and Glance's list view has no stores).
 */
import {
  osImageListLong,
  osRestInventory,
  osServerListLong,
  osVolumeListLong,
  type OpenstackRole,
} from '../../common/commands/openstack';
import type { Inventory } from '../../common/inventory/schema';
import type { CommandRunner, ExecOptions } from '../../common/ports';
import {
  parseImageListCli,
  parseOpenstackRest,
  parseServerListCli,
  parseVolumeListCli,
  type OpenstackInventory,
} from '../../common/parsers/openstack';
import type { OpenstackObservation } from '../../common/topology/model';
import { OpenstackTunnel, type TcpForwarder } from './openstack-tunnel';
import { runParsed, type Call } from './run';

/** auto: tunnel (when a forwarder is given), then the REST exec, then the CLI. */
export type OpenstackMethod = 'auto' | 'tunnel' | 'rest' | 'cli';

export interface OpenstackDiscoveryOptions {
  runner: CommandRunner;
  inventory: Inventory;
  method: OpenstackMethod;
  execTimeoutMs: number;
  signal?: ExecOptions['signal'];
  now: () => number;
  /** Resolves a vault reference (role.passwordRef) to the cloud password, sent on stdin only. */
  secret?: (ref: string) => Promise<string>;
  /** Forwarded channels from the controller host to its API endpoints (SshPool.forwardOut). */
  forwarder?: TcpForwarder;
  /** Holds the Keystone token between discoveries; a fresh one per call when absent. */
  tunnel?: OpenstackTunnel;
}

export function controllerHost(inv: Inventory): { hostId: string; role: OpenstackRole } | null {
  for (const h of inv.hosts)
    for (const r of h.roles) if (r.kind === 'openstack-controller') return { hostId: h.id, role: r };
  return null;
}

export async function discoverOpenstack(o: OpenstackDiscoveryOptions): Promise<OpenstackObservation | null> {
  const ctl = controllerHost(o.inventory);
  if (!ctl) return null;
  const started = o.now();
  const call = (subject: string, stdin?: string): Call => ({
    runner: o.runner,
    hostId: ctl.hostId,
    scope: 'openstack',
    subject,
    timeoutMs: o.execTimeoutMs,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(stdin !== undefined ? { stdin } : {}),
  });
  const obs: OpenstackObservation = {
    hostId: ctl.hostId,
    reachable: false,
    reason: null,
    inventory: null,
    problems: [],
    durationMs: 0,
  };
  let password: string | undefined;
  if (o.method !== 'cli' && ctl.role.passwordRef && o.secret) password = await o.secret(ctl.role.passwordRef);
  if ((o.method === 'auto' || o.method === 'tunnel') && o.forwarder) {
    const t = await (o.tunnel ?? new OpenstackTunnel()).inventory({
      runner: o.runner,
      forwarder: o.forwarder,
      hostId: ctl.hostId,
      role: ctl.role,
      timeoutMs: Math.min(o.execTimeoutMs, 60_000),
      now: o.now,
      ...(password !== undefined ? { password } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (t.ok) {
      obs.reachable = true;
      obs.inventory = t.inventory;
      obs.durationMs = o.now() - started;
      return obs;
    }
    obs.problems.push({
      scope: 'openstack',
      subject: 'tunnel',
      hostId: ctl.hostId,
      code: 'command-failed',
      message: `REST through a forwarded channel failed (${t.reason})${o.method === 'auto' ? ': trying the exec path' : ''}`,
    });
    if (o.method === 'tunnel' || !t.retry) {
      obs.reason = t.reason;
      obs.durationMs = o.now() - started;
      return obs;
    }
  } else if (o.method === 'tunnel') {
    obs.reason = 'no forwarded channel available here (no SSH pool)';
    obs.durationMs = o.now() - started;
    return obs;
  }
  if (o.method !== 'cli') {
    if (password !== undefined) password = `${password}\n`;
    const rest = await runParsed(
      call('rest', password),
      osRestInventory(ctl.role, { passwordOnStdin: password !== undefined }),
      parseOpenstackRest,
    );
    if (rest.ok && !rest.value.errors['auth'] && !rest.value.errors['config']) {
      obs.reachable = true;
      obs.inventory = rest.value;
      obs.durationMs = o.now() - started;
      return obs;
    }
    const why = rest.ok ? Object.values(rest.value.errors).join('; ') : rest.problem.message;
    obs.problems.push(
      rest.ok
        ? { scope: 'openstack', subject: 'rest', hostId: ctl.hostId, code: 'command-failed', message: why }
        : rest.problem,
    );
    // Only an SSH-level failure makes the CLI pointless too.
    if (o.method === 'rest' || (!rest.ok && rest.result === null)) {
      obs.reason = why;
      obs.durationMs = o.now() - started;
      return obs;
    }
  }
  const [images, volumes, servers] = await Promise.all([
    runParsed(call('images'), osImageListLong(ctl.role), parseImageListCli),
    runParsed(call('volumes'), osVolumeListLong(ctl.role), parseVolumeListCli),
    runParsed(call('servers'), osServerListLong(ctl.role), parseServerListCli),
  ]);
  const inv: OpenstackInventory = {
    source: 'cli',
    images: [],
    stores: [],
    volumes: [],
    servers: [],
    errors: {},
    timingsMs: {},
  };
  if (images.ok) inv.images = images.value;
  else inv.errors['images'] = images.problem.message;
  if (volumes.ok) inv.volumes = volumes.value;
  else inv.errors['volumes'] = volumes.problem.message;
  if (servers.ok) inv.servers = servers.value;
  else inv.errors['servers'] = servers.problem.message;
  for (const r of [images, volumes, servers]) {
    if (r.result)
      inv.timingsMs[r.ok ? 'ok' : 'failed'] = Math.max(inv.timingsMs[r.ok ? 'ok' : 'failed'] ?? 0, r.result.durationMs);
    if (!r.ok) obs.problems.push(r.problem);
  }
  obs.reachable = images.ok || volumes.ok || servers.ok;
  if (!obs.reachable) obs.reason = Object.values(inv.errors)[0] ?? 'OpenStack CLI failed';
  obs.inventory = inv;
  obs.durationMs = o.now() - started;
  return obs;
}
