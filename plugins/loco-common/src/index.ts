/**
 * Shared types, permissions and names of the Loco plugins.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './permissions';
export * from './health';
export * from './types';
export * from './summary';
export * from './limits';
export * from './names';
export * from './agent';
export * from './vnc';
export * from './snapshots';
export * from './seats';
