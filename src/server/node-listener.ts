// tl.requestListener(): the routes as a node:http request listener, for Express (`app.use('/obs',
// tl.requestListener())`), Connect, Fastify's raw handlers or a plain http.createServer. Express
// strips the mount prefix from req.url (the routes then see '/api/...') and keeps it in
// req.originalUrl, which is how the dashboard root without its slash is told apart and redirected:
// the dashboard finds its API relative to its own URL, so '/obs' must become '/obs/'.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';

export type NodeRequestListener = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

export function nodeListener(fetch: (request: Request) => Response | Promise<Response>): NodeRequestListener {
  const listener = getRequestListener(fetch);
  return (req, res, next) => {
    const original = (req as IncomingMessage & { originalUrl?: string }).originalUrl;
    const url = req.url ?? '/';
    if (original !== undefined && original !== url && (url === '/' || url.startsWith('/?'))) {
      const q = original.indexOf('?');
      const pathPart = q < 0 ? original : original.slice(0, q);
      if (!pathPart.endsWith('/')) {
        const last = pathPart.slice(pathPart.lastIndexOf('/') + 1);
        res.writeHead(302, { location: `${last}/${q < 0 ? '' : original.slice(q)}` });
        res.end();
        return;
      }
    }
    listener(req, res).catch((err: unknown) => {
      // getRequestListener answers errors itself; what reaches here is a failure to do even that.
      if (next !== undefined) next(err);
      else if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } }));
      } else res.destroy();
    });
  };
}
