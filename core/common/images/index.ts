export * from './model';
export * from './matrix';
export * from './usage';
export * from './format';
export * from './tasks';
export * from './glance-ops';
export * from './progress';
