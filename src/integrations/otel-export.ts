// What the OTel exporters of this package share (the style of tl.traces.exporter(),
// src/traces/exporter.ts): exports run as promises that never reject (a failure is a FAILED result),
// the callback is called exactly once, a throwing callback goes to the SDK's global error handler,
// and shutdown refuses new exports and waits for those in flight.
import { ExportResultCode, globalErrorHandler, type ExportResult } from '@opentelemetry/core';

export class ExportTracker {
  /** Exports not yet reported. */
  private readonly pending = new Set<Promise<ExportResult>>();
  private isShutdown = false;

  constructor(private readonly exporterName: string) {}

  /** Runs `work` and reports SUCCESS when it resolves, FAILED with its error when it rejects. */
  run(work: () => Promise<void>, resultCallback: (result: ExportResult) => void): void {
    if (this.isShutdown) {
      report(resultCallback, { code: ExportResultCode.FAILED, error: new Error(`${this.exporterName} is shut down`) });
      return;
    }
    const done = work().then(
      (): ExportResult => ({ code: ExportResultCode.SUCCESS }),
      (error: unknown): ExportResult => ({ code: ExportResultCode.FAILED, error: asError(error) }),
    );
    this.pending.add(done);
    void done.then((result) => {
      this.pending.delete(done);
      report(resultCallback, result);
    });
  }

  /** Resolves when every export in flight has reported. */
  async drain(): Promise<void> {
    await Promise.all(this.pending);
  }

  async shutdown(): Promise<void> {
    this.isShutdown = true;
    await this.drain();
  }
}

function report(resultCallback: (result: ExportResult) => void, result: ExportResult): void {
  // A throwing callback is the caller's bug; route it where the SDK routes its own errors instead
  // of leaving an unhandled rejection (or throwing into the SDK's export loop).
  try {
    resultCallback(result);
  } catch (err) {
    globalErrorHandler(asError(err));
  }
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Waits for the async resource attributes still pending (the SDK's processors do; a direct caller may not). */
export async function settleResources(resources: Iterable<{ asyncAttributesPending?: boolean; waitForAsyncAttributes?: () => Promise<void> }>): Promise<void> {
  const pending = new Set([...resources].filter((r) => r.asyncAttributesPending));
  if (pending.size > 0) await Promise.all([...pending].map((r) => r.waitForAsyncAttributes?.()));
}
