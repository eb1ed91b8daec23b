// Storage: what each engine holds on disk (GET api/v1/stats), the configured retention
// (GET api/v1/retention) and a run on demand (POST api/v1/retention/run), backups (POST/GET/DELETE
// api/v1/backup) with plain download links so the browser saves the streamed .tar.gz itself.
// Every failure is shown next to the action that failed; a button is disabled while its request runs.
import type { Api } from '../api.js';
import type { Page } from '../page.js';
import { h, errorText, setChildren } from '../dom.js';
import { formatBytes, formatCount, formatNumber, formatRatio, formatRelative, formatTime, nsToMs } from '../format.js';

interface EngineStats {
  diskBytes: number;
  dataBytes: number;
  walBytes: number;
  pendingBytes: number;
  blocks: number;
  corruptBlocks: number;
  compressionRatio: number | string;
}
interface Stats {
  metrics: EngineStats & { points: number; series: number; headPoints: number; rollupBlocks: number; diskBytesPerPoint: number | string; oldestMs: number | null; newestMs: number | null };
  logs: EngineStats & { entries: number; hotEntries: number; bytesPerEntry: number | string; oldestNs?: string; newestNs?: string };
  traces: EngineStats & { spans: number; hotSpans: number; bytesPerSpan: number | string; oldestNs?: string; newestNs?: string };
}
interface RetentionReport {
  metrics: { tiers: Array<{ tier: string; maxAgeSec: number; blocksDeleted: number }>; segmentFilesDeleted: number; bytesFreed: number };
  logs: { blocksDeleted: number; entriesDeleted: number; filesDeleted: number; bytesFreed: number };
  traces: { blocksDeleted: number; spansDeleted: number; filesDeleted: number; bytesFreed: number };
}
interface RetentionSettings {
  metrics: { rawMaxAgeSec: number; hourlyMaxAgeSec: number; dailyMaxAgeSec: number };
  logs: { maxAgeSec: number; maxBytes: number };
  traces: { maxAgeSec: number; maxBytes: number };
  intervalSec: number;
}
interface BackupInfo {
  name: string;
  bytes: number;
  files: number;
  createdAt: string;
}

/** One engine's numbers in a common shape. */
interface EngineRow {
  engine: 'metrics' | 'logs' | 'traces';
  itemName: string;
  items: number;
  extra: Array<[string, string]>;
  bytesPerItem: number | string;
  oldestMs: number | undefined;
  newestMs: number | undefined;
  s: EngineStats;
}

function engineRows(st: Stats): EngineRow[] {
  const m = st.metrics;
  return [
    { engine: 'metrics', itemName: 'points', items: m.points, extra: [['Series', formatCount(m.series)], ['Rollup blocks', formatCount(m.rollupBlocks)]], bytesPerItem: m.diskBytesPerPoint, oldestMs: m.oldestMs ?? undefined, newestMs: m.newestMs ?? undefined, s: m },
    { engine: 'logs', itemName: 'entries', items: st.logs.entries, extra: [['In hot tail', formatCount(st.logs.hotEntries)]], bytesPerItem: st.logs.bytesPerEntry, oldestMs: nsToMs(st.logs.oldestNs), newestMs: nsToMs(st.logs.newestNs), s: st.logs },
    { engine: 'traces', itemName: 'spans', items: st.traces.spans, extra: [['In hot tail', formatCount(st.traces.hotSpans)]], bytesPerItem: st.traces.bytesPerSpan, oldestMs: nsToMs(st.traces.oldestNs), newestMs: nsToMs(st.traces.newestNs), s: st.traces },
  ];
}

function when(ms: number | undefined): Node | string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  return h('span', { title: formatTime(ms, { ms: true }) }, formatTime(ms), ' ', h('span', { class: 'muted' }, `(${formatRelative(ms)})`));
}

function engineCard(r: EngineRow): HTMLElement {
  const rows: Array<[string, Node | string]> = [
    [r.itemName[0]!.toUpperCase() + r.itemName.slice(1), formatCount(r.items)],
    ...r.extra,
    ['On disk', formatBytes(r.s.diskBytes)],
    ['Blocks (data)', `${formatCount(r.s.blocks)} (${formatBytes(r.s.dataBytes)})`],
    ['WAL', formatBytes(r.s.walBytes)],
    ['Not yet sealed', formatBytes(r.s.pendingBytes)],
    [`Bytes per ${r.itemName.replace(/(ies|s)$/, (m) => (m === 'ies' ? 'y' : ''))}`, formatNumber(r.bytesPerItem, 2)],
    ['Compression ratio', formatRatio(r.s.compressionRatio)],
    ['Oldest', when(r.oldestMs)],
    ['Newest', when(r.newestMs)],
  ];
  if (r.s.corruptBlocks > 0) rows.push(['Corrupt blocks', h('span', { class: 'error' }, formatCount(r.s.corruptBlocks))]);
  return h('section', { class: 'panel card', 'data-engine': r.engine },
    h('h3', null, r.engine),
    h('dl', { class: 'kv' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', { 'data-field': k }, v)])),
  );
}

/** Seconds in the largest unit that divides them: '7 days', '36 h', '15 min', '90 s'. */
export function formatAgeSec(sec: number): string {
  if (!Number.isFinite(sec)) return '–';
  for (const [div, one, many] of [[86_400, 'day', 'days'], [3600, 'h', 'h'], [60, 'min', 'min']] as const) {
    if (sec >= div && sec % div === 0) return `${formatCount(sec / div)} ${sec === div ? one : many}`;
  }
  return `${formatCount(sec)} s`;
}

function settingsCard(engine: string, rows: Array<[string, string]>): HTMLElement {
  return h('section', { class: 'card', 'data-retention': engine },
    h('h3', null, engine),
    h('dl', { class: 'kv' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', { 'data-field': k }, v)])),
  );
}

function retentionSettings(r: RetentionSettings): Node[] {
  const m = r.metrics;
  return [
    h('div', { class: 'cards' },
      settingsCard('metrics', [['Raw points', formatAgeSec(m.rawMaxAgeSec)], ['Hourly rollups', formatAgeSec(m.hourlyMaxAgeSec)], ['Daily rollups', formatAgeSec(m.dailyMaxAgeSec)]]),
      settingsCard('logs', [['Max age', formatAgeSec(r.logs.maxAgeSec)], ['Max size', formatBytes(r.logs.maxBytes)]]),
      settingsCard('traces', [['Max age', formatAgeSec(r.traces.maxAgeSec)], ['Max size', formatBytes(r.traces.maxBytes)]]),
    ),
    h('p', { class: 'muted retention-schedule' }, r.intervalSec > 0 ? `Runs on its own every ${formatAgeSec(r.intervalSec)}; the button drops what is past these limits now.` : 'No schedule (intervalSec 0): retention runs only when asked.'),
  ];
}

function retentionSummary(r: RetentionReport): HTMLElement {
  const tiers = r.metrics.tiers.map((t) => `${t.tier} ${formatCount(t.blocksDeleted)}`).join(', ');
  return h('ul', { class: 'retention-report' },
    h('li', null, `metrics: ${formatCount(r.metrics.segmentFilesDeleted)} segment files deleted, ${formatBytes(r.metrics.bytesFreed)} freed`, tiers ? ` (blocks by tier: ${tiers})` : ''),
    h('li', null, `logs: ${formatCount(r.logs.entriesDeleted)} entries in ${formatCount(r.logs.blocksDeleted)} blocks dropped, ${formatBytes(r.logs.bytesFreed)} freed`),
    h('li', null, `traces: ${formatCount(r.traces.spansDeleted)} spans in ${formatCount(r.traces.blocksDeleted)} blocks dropped, ${formatBytes(r.traces.bytesFreed)} freed`),
  );
}

function mount(el: HTMLElement, ctx: { api: Api }): () => void {
  const { api } = ctx;
  let alive = true;

  // Stats
  const statsErr = h('div', { class: 'error', role: 'alert' });
  const statsStatus = h('span', { class: 'status' });
  const cards = h('div', { class: 'cards' });
  const refreshBtn = h('button', { type: 'button', onclick: () => void loadStats() }, 'Refresh');
  async function loadStats(): Promise<void> {
    refreshBtn.disabled = true;
    statsStatus.textContent = 'Loading…';
    try {
      const st = await api.get<Stats>('api/v1/stats');
      if (!alive) return;
      setChildren(cards, engineRows(st).map(engineCard));
      statsErr.textContent = '';
      statsStatus.textContent = `Updated ${formatTime(Date.now())}`;
    } catch (err) {
      if (!alive) return;
      statsErr.textContent = `Could not load the stats: ${errorText(err)}`;
      statsStatus.textContent = '';
    } finally {
      refreshBtn.disabled = false;
    }
  }

  // Retention
  const retErr = h('div', { class: 'error', role: 'alert' });
  const retOut = h('div', { class: 'retention-result' });
  const retBtn = h('button', { type: 'button', onclick: () => void runRetention() }, 'Run retention now');
  const settingsOut = h('div', { class: 'retention-settings' }, h('span', { class: 'status' }, 'Loading the settings…'));
  async function loadSettings(): Promise<void> {
    try {
      const r = await api.get<RetentionSettings>('api/v1/retention');
      if (!alive) return;
      setChildren(settingsOut, retentionSettings(r));
    } catch (err) {
      if (!alive) return;
      setChildren(settingsOut, h('div', { class: 'error', role: 'alert' }, `Could not load the retention settings: ${errorText(err)}`));
    }
  }
  async function runRetention(): Promise<void> {
    retBtn.disabled = true;
    retErr.textContent = '';
    setChildren(retOut, h('span', { class: 'status' }, 'Running…'));
    try {
      const rep = await api.post<RetentionReport>('api/v1/retention/run');
      if (!alive) return;
      setChildren(retOut, h('p', { class: 'ok' }, `Retention ran at ${formatTime(Date.now())}:`), retentionSummary(rep));
      void loadStats();
    } catch (err) {
      if (!alive) return;
      retOut.replaceChildren();
      retErr.textContent = `Retention failed: ${errorText(err)}`;
    } finally {
      retBtn.disabled = false;
    }
  }

  // Backups
  const bkErr = h('div', { class: 'error', role: 'alert' });
  const bkStatus = h('span', { class: 'status backup-status' });
  const bkBody = h('tbody');
  const bkTable = h('table', { class: 'backups' }, h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Created'), h('th', { class: 'num' }, 'Files'), h('th', { class: 'num' }, 'Size'), h('th', null, ''))), bkBody);
  const bkBtn = h('button', { type: 'button', class: 'primary', onclick: () => void createBackup() }, 'Create backup');
  /** A backup request (create or delete) is running: every backup button waits for it. */
  let bkBusy = false;
  function setBackupBusy(busy: boolean): void {
    bkBusy = busy;
    bkBtn.disabled = busy;
    for (const b of bkBody.querySelectorAll<HTMLButtonElement>('button.delete')) b.disabled = busy;
  }

  function backupRow(b: BackupInfo): HTMLElement {
    const t = Date.parse(b.createdAt);
    const href = api.url(`api/v1/backup/${encodeURIComponent(b.name)}/download`);
    return h('tr', { 'data-backup': b.name },
      h('td', { class: 'mono' }, b.name),
      h('td', null, when(Number.isNaN(t) ? undefined : t)),
      h('td', { class: 'num' }, formatCount(b.files)),
      h('td', { class: 'num' }, formatBytes(b.bytes)),
      h('td', null,
        // A plain link: the browser streams the .tar.gz to disk (no blob held in page memory).
        h('a', { href, download: `${b.name}.tar.gz`, class: 'download' }, 'Download .tar.gz'),
        ' ',
        h('button', { type: 'button', class: 'delete', disabled: bkBusy, onclick: () => void deleteBackup(b.name) }, 'Delete'),
      ),
    );
  }

  async function loadBackups(): Promise<void> {
    try {
      const { backups } = await api.get<{ backups: BackupInfo[] }>('api/v1/backup');
      if (!alive) return;
      backups.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
      if (backups.length === 0) setChildren(bkBody, h('tr', null, h('td', { colspan: 5, class: 'muted' }, 'No backups yet.')));
      else setChildren(bkBody, backups.map(backupRow));
    } catch (err) {
      if (!alive) return;
      bkErr.textContent = `Could not list the backups: ${errorText(err)}`;
    }
  }

  async function createBackup(): Promise<void> {
    setBackupBusy(true);
    bkErr.textContent = '';
    bkStatus.textContent = 'Taking a backup…';
    try {
      const r = await api.post<{ name: string; files: number; bytes: number }>('api/v1/backup');
      if (!alive) return;
      bkStatus.textContent = `Created ${r.name}: ${formatCount(r.files)} files, ${formatBytes(r.bytes)}.`;
      await loadBackups();
    } catch (err) {
      if (!alive) return;
      bkStatus.textContent = '';
      bkErr.textContent = `Backup failed: ${errorText(err)}`;
    } finally {
      if (alive) setBackupBusy(false);
    }
  }

  async function deleteBackup(name: string): Promise<void> {
    if (!window.confirm(`Delete backup ${name}? Its files are removed from disk.`)) return;
    setBackupBusy(true);
    bkErr.textContent = '';
    bkStatus.textContent = `Deleting ${name}…`;
    try {
      await api.delete<{ deleted: string }>(`api/v1/backup/${encodeURIComponent(name)}`);
      if (!alive) return;
      bkStatus.textContent = `Deleted ${name}.`;
      await loadBackups();
    } catch (err) {
      if (!alive) return;
      bkStatus.textContent = '';
      bkErr.textContent = `Could not delete ${name}: ${errorText(err)}`;
    } finally {
      if (alive) setBackupBusy(false);
    }
  }

  setChildren(el,
    h('section', { class: 'storage-stats' }, h('div', { class: 'toolbar' }, h('h2', null, 'Storage'), refreshBtn, statsStatus), statsErr, cards),
    h('section', { class: 'panel retention' }, h('div', { class: 'toolbar' }, h('h2', null, 'Retention'), retBtn), settingsOut, retErr, retOut),
    h('section', { class: 'panel backups-panel' }, h('div', { class: 'toolbar' }, h('h2', null, 'Backups'), bkBtn, bkStatus), bkErr, h('div', { class: 'table-wrap' }, bkTable)),
  );
  void loadStats();
  void loadSettings();
  void loadBackups();
  return () => {
    alive = false;
  };
}

export const storagePage: Page = { id: 'storage', title: 'Storage', mount };
