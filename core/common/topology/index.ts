export * from './model';
export * from './classify';
export * from './build';
export * from './openstack-pairing';
export * from './glance-matrix';
export * from './health/index';
export * from './image-index';
export * from './overview';
