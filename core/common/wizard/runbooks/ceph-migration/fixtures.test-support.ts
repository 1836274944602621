/** The migration tests' inventory: a mon host per cluster (ceph-a → ceph-b) and an OpenStack controller `ctl`. */
import type { Host, Inventory } from '../../../inventory/schema';

type MonRole = { conf?: string; sudo: boolean };

const host = (id: string, address: string, roles: Host['roles']): Host => ({
  id,
  address,
  port: 22,
  user: 'op',
  auth: { method: 'agent' },
  roles,
});

export function migrationInventory(o: { a: MonRole; b: MonRole; cloud?: string }): Inventory {
  return {
    version: 1,
    sites: [],
    clusters: [],
    glance: { stores: [] },
    hosts: [
      host('a-mon', '10.0.0.1', [{ kind: 'ceph-mon', cluster: 'ceph-a', ...o.a }]),
      host('b-mon', '10.0.0.2', [{ kind: 'ceph-mon', cluster: 'ceph-b', ...o.b }]),
      host('ctl', '10.0.0.3', [{ kind: 'openstack-controller', ...(o.cloud ? { cloud: o.cloud } : {}) }]),
    ],
  };
}
