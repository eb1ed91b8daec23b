// Progress lines of `timeless restore`: at most one per interval (default 250 ms, ~4 a second) so a
// restore of many small files does not flood a terminal or a log, and always a final line.

export interface ProgressState {
  files: number;
  bytes: number;
  /** Directory source: files and bytes to copy. */
  totalFiles?: number;
  totalBytes?: number;
  /** Archive source: compressed bytes read of the archive's size. */
  readBytes?: number;
  archiveBytes?: number;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function percent(done: number, total: number): string {
  return `${total === 0 ? 100 : Math.min(100, Math.floor((done / total) * 100))}%`;
}

export function progressLine(s: ProgressState): string {
  if (s.archiveBytes !== undefined) {
    const read = s.readBytes ?? 0;
    return `restore: ${percent(read, s.archiveBytes)} archive ${read}/${s.archiveBytes} bytes read (${formatBytes(read)} of ${formatBytes(s.archiveBytes)}), ${s.files} files, ${s.bytes} bytes written`;
  }
  const totalBytes = s.totalBytes ?? 0;
  return `restore: ${percent(s.bytes, totalBytes)} ${s.files}/${s.totalFiles ?? 0} files, ${s.bytes}/${totalBytes} bytes (${formatBytes(s.bytes)} of ${formatBytes(totalBytes)})`;
}

export class Progress {
  private lastMs = -Infinity;
  constructor(
    private readonly out: (line: string) => void,
    private readonly intervalMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  /** Prints the state if the interval has passed since the last line. */
  update(s: ProgressState): void {
    const t = this.now();
    if (t - this.lastMs < this.intervalMs) return;
    this.lastMs = t;
    this.out(progressLine(s));
  }

  /** The last state, always printed. */
  final(s: ProgressState): void {
    this.lastMs = this.now();
    this.out(progressLine(s));
  }
}
