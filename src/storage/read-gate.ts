// A readers/writer gate between queries and the jobs that delete index rows and segment files
// (compaction, retention). A query pages through the index and reads blocks in the pool over many
// event-loop turns; if rows were swapped under it (compaction replacing blocks A, B by C), keyset
// paging could skip or repeat entries, and a deleted file could vanish under a pending read. So a
// deleter takes the gate exclusively for its commit + file deletions: it waits for running queries
// to finish, and queries arriving meanwhile wait for it (writer preference: no starvation).
export class ReadGate {
  private readers = 0;
  private writer: Promise<void> | null = null;
  private readersIdle: Array<() => void> = [];

  /** Enters as a reader (waits while a writer holds or awaits the gate). Pair with exit(). */
  async enter(): Promise<void> {
    while (this.writer) await this.writer;
    this.readers++;
  }

  exit(): void {
    this.readers--;
    if (this.readers === 0) {
      const w = this.readersIdle;
      this.readersIdle = [];
      for (const f of w) f();
    }
  }

  get activeReaders(): number {
    return this.readers;
  }

  /** Runs `job` with no reader inside; one writer at a time. */
  async exclusive<T>(job: () => Promise<T> | T): Promise<T> {
    while (this.writer) await this.writer;
    let release!: () => void;
    this.writer = new Promise<void>((r) => (release = r));
    try {
      while (this.readers > 0) await new Promise<void>((r) => this.readersIdle.push(r));
      return await job();
    } finally {
      this.writer = null;
      release();
    }
  }

  /** Resolves once no reader is inside (close()). */
  async idle(): Promise<void> {
    while (this.readers > 0) await new Promise<void>((r) => this.readersIdle.push(r));
  }
}
