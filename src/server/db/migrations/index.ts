import type { Migration } from 'kysely';
import { initial } from './0001_initial';

/** Ordered by name; never edit a migration that has shipped, add a new one. */
export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
};
