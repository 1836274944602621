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
import { runParsed, type Call } from './run';

export type OpenstackMethod = 'auto' | 'rest' | 'cli';

export interface OpenstackDiscoveryOptions {
  runner: CommandRunner;
  inventory: Inventory;
  method: OpenstackMethod;
  execTimeoutMs: number;
  signal?: ExecOptions['signal'];
  now: () => number;
  /** Resolves a vault reference (role.passwordRef) to the cloud password, sent on stdin only. */
  secret?: (ref: string) => Promise<string>;
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
  if (o.method !== 'cli') {
    let password: string | undefined;
    if (ctl.role.passwordRef && o.secret) password = `${await o.secret(ctl.role.passwordRef)}\n`;
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
