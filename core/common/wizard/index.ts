export * from './types';
export * from './secret';
export * from './errors';
export * from './journal';
export * from './engine';
export * from './define';
export * from './eta';
export * from './report';
