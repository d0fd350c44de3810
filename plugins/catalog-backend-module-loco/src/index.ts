/**
 * Catalog module for Loco environments (entity provider).
 *
 * @packageDocumentation
 */
export {};
