// The page registry: the nav shows the pages in this order, the router mounts them by id.
// Adding a page = one import below + one entry in `pages`.
import type { Page } from '../page.js';
import { logsPage } from './logs.js';
import { metricsPage } from './metrics.js';
import { overviewPage } from './overview.js';
import { storagePage } from './storage.js';
import { tracePage } from './trace.js';
import { tracesPage } from './traces.js';

export const pages: readonly Page[] = [
  overviewPage,
  metricsPage,
  logsPage,
  tracesPage,
  storagePage,
  tracePage,
];

/** Pages reached only through links (e.g. a single trace), listed by id: routed but not in the nav. */
export const hiddenFromNav: ReadonlySet<string> = new Set(['trace']);

/** Where an empty hash lands: the overview when registered, else the first page. */
export const defaultPageId: string = pages.some((p) => p.id === 'overview') ? 'overview' : pages[0]!.id;
