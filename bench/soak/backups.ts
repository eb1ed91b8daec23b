// Backups while the soak runs: POST /api/v1/backup, then the listing must show it; older ones are
// deleted so the disk stays bounded. The last one is kept with the moment its request was sent: every
// item acknowledged before then must be in it (checked by the final read-back).
import { call } from './http.js';

export interface BackupCounters {
  taken: number;
  failed: number;
  /** Answered 201 but missing from GET /api/v1/backup. */
  unlisted: number;
  last?: { name: string; sentAtMs: number };
  errors: string[];
}

export async function takeBackup(url: string, c: BackupCounters): Promise<void> {
  const sentAtMs = Date.now();
  try {
    const a = await call(url + '/api/v1/backup', 'POST');
    if (a.status !== 201) throw new Error(`POST /api/v1/backup answered ${a.status}: ${JSON.stringify(a.body).slice(0, 200)}`);
    const name = (a.body as { name: string }).name;
    const list = await call(url + '/api/v1/backup', 'GET');
    const names = ((list.body as { backups?: Array<{ name: string }> }).backups ?? []).map((b) => b.name);
    if (!names.includes(name)) {
      c.unlisted++;
      return;
    }
    c.taken++;
    const previous = c.last;
    c.last = { name, sentAtMs };
    if (previous !== undefined) await call(url + `/api/v1/backup/${previous.name}`, 'DELETE');
  } catch (err) {
    // A backup cut by the kill is expected; the count says how often.
    c.failed++;
    if (c.errors.length < 3) c.errors.push((err as Error).message);
  }
}
