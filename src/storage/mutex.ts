// A promise-chain mutex and file pins, shared by engines: maintenance jobs (checkpoints, compaction,
// retention, backup, WAL drops) run one at a time so none deletes a file or a WAL segment another one
// is still reading, and files with allocations, copies or reads in flight are never deleted.
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** Reference counts of files that must not be deleted (allocations in flight, copies in flight). */
export class FilePins {
  private readonly counts = new Map<string, number>();

  pin(file: string): void {
    this.counts.set(file, (this.counts.get(file) ?? 0) + 1);
  }

  unpin(file: string): void {
    const n = (this.counts.get(file) ?? 1) - 1;
    if (n <= 0) this.counts.delete(file);
    else this.counts.set(file, n);
  }

  has(file: string): boolean {
    return this.counts.has(file);
  }
}
