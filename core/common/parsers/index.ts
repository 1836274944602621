export * from './result';
export * from './description';
export * from './mirror-pool-status';
export * from './rbd';
export * from './ceph';
export * from './openstack';
