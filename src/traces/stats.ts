// Traces statistics: storage/event-stats.ts under the traces names (spans, hotSpans, bytesPerSpan).
// Its ratio is against the span records; the bench also measures against OTLP/JSON.
import { computeEventStats } from '../storage/event-stats.js';
import type { TracesEngine } from './engine.js';
import type { TracesStats } from './types.js';

export async function computeTraceStats(e: TracesEngine): Promise<TracesStats> {
  const { events, hotEvents, bytesPerEvent, ...rest } = await computeEventStats(e);
  return { spans: events, hotSpans: hotEvents, bytesPerSpan: bytesPerEvent, ...rest };
}
