// Schema migrations keyed on PRAGMA user_version: step i (0-based) brings the schema to version i+1.
// Steps are only ever appended, never edited, so an old database upgrades by running its missing tail.
import type { Db } from './open.js';
import { SqliteError } from './errors.js';

export interface MigrateResult {
  /** user_version before. */
  from: number;
  /** user_version after (= steps.length). */
  to: number;
}

/** Applies steps[user_version..] in one transaction each (SQL text may hold several statements). */
export function migrate(db: Db, steps: readonly string[]): MigrateResult {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > steps.length) {
    throw new SqliteError(
      'SCHEMA_TOO_NEW',
      `database schema is version ${from} but this build knows ${steps.length} steps; upgrade timeless-node to open it`,
    );
  }
  for (let i = from; i < steps.length; i++) {
    const step = db.transaction(() => {
      db.exec(steps[i]);
      // user_version lives in the database header, which the transaction covers.
      db.pragma(`user_version = ${i + 1}`);
    });
    try {
      step();
    } catch (err) {
      throw new SqliteError('MIGRATION_FAILED', `migration step ${i + 1} failed: ${(err as Error).message}`, err);
    }
  }
  return { from, to: steps.length };
}
