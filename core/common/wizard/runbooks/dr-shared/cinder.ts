/**
 * Cinder's side of a failover: `cinder failover-host` and the backend's replication state from
 * `cinder service-list --withreplication` (a table: python-cinderclient has no JSON output).
 */
import { StepFailedError } from '../../errors';
import type { StepContext } from '../../types';
import { oscmd } from './commands';
import { controllerOf, type OpenstackParam } from './params';

export interface CinderBackendState {
  host: string;
  status: string;
  state: string;
  replicationStatus: string;
  activeBackendId: string;
  frozen: string;
}

/** Parses the `+---+` table of `cinder service-list --withreplication`; rows keyed by the header names. */
export function parseCinderServiceTable(text: string): CinderBackendState[] {
  const rows = text
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  const head = rows[0];
  if (!head) return [];
  const col = (name: string): number => head.findIndex((h) => h.toLowerCase() === name.toLowerCase());
  const get = (r: string[], name: string): string => {
    const i = col(name);
    return i >= 0 ? (r[i] ?? '') : '';
  };
  return rows.slice(1).map((r) => ({
    host: get(r, 'Host'),
    status: get(r, 'Status'),
    state: get(r, 'State'),
    replicationStatus: get(r, 'Replication Status'),
    activeBackendId: get(r, 'Active Backend ID'),
    frozen: get(r, 'Frozen'),
  }));
}

/** Failed over to `backendId`, or back on the default backend ("default"). */
export function backendAt(s: CinderBackendState | undefined, backendId: string): boolean {
  if (!s) return false;
  if (backendId === 'default')
    return (
      s.replicationStatus === 'enabled' &&
      (s.activeBackendId === '' || s.activeBackendId === 'default' || s.activeBackendId === '-')
    );
  return s.replicationStatus === 'failed-over' && s.activeBackendId === backendId;
}

export async function cinderBackend(
  ctx: StepContext<{ openstack?: OpenstackParam | undefined }>,
): Promise<CinderBackendState | undefined> {
  const o = ctx.params.openstack;
  const ctl = controllerOf(ctx.inventory, o);
  if (!ctl || !o?.cinder) return undefined;
  const r = await ctx.run(ctl.host, oscmd.serviceList(ctl.role), { purpose: 'poll' });
  if (r.exitCode !== 0)
    throw new StepFailedError(`cinder service-list failed (exit ${r.exitCode ?? 'none'})`, r.stderr.slice(-1500));
  const host = o.cinder.host;
  return parseCinderServiceTable(r.stdout).find((s) => s.host === host);
}
