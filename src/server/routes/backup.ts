// Backups over HTTP: POST /api/v1/backup takes one (tl.backup() into <dataDir>/backups/<name>/),
// GET /api/v1/backup lists them, GET /api/v1/backup/:name/download streams one as .tar.gz from disk
// (src/server/tar.ts: never built in memory), DELETE /api/v1/backup/:name removes one.
// A name comes from the URL, so it is checked twice: by shape (no separators, no '..', no leading
// dot) and by where it resolves (a direct child of backups/, a real directory, not a symlink).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Hono } from 'hono';
import type { AppEnv, ServerContext } from '../context.js';
import { HttpError } from '../errors.js';
import { tarGzStream } from '../tar.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface BackupInfo {
  name: string;
  /** Bytes of the regular files in it. */
  bytes: number;
  files: number;
  createdAt: string;
}

function backupsDir(ctx: ServerContext): string {
  return path.join(ctx.tl.dataDir, 'backups');
}

/** 400 for a malformed name; the path it names, which is always a direct child of backups/. */
function checkName(ctx: ServerContext, name: string): string {
  if (!NAME_RE.test(name) || name.includes('..')) {
    throw new HttpError(400, 'INVALID_NAME', 'a backup name is 1-128 letters, digits, dots, dashes or underscores, starting with a letter or digit, without ".."');
  }
  const base = backupsDir(ctx);
  const target = path.resolve(base, name);
  if (path.dirname(target) !== base) throw new HttpError(400, 'INVALID_NAME', 'the backup name does not name a backup');
  return target;
}

function notFound(name: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `no backup named '${name}'`);
}

/** The backup's directory, or 404: it must exist and be a real directory (a symlink is refused). */
async function existingBackup(ctx: ServerContext, name: string, busy: ReadonlySet<string>): Promise<string> {
  const dir = checkName(ctx, name);
  if (busy.has(name)) throw new HttpError(409, 'BACKUP_IN_PROGRESS', `backup '${name}' is still being written; try again when POST /api/v1/backup has answered`);
  try {
    const st = await fs.lstat(dir);
    if (st.isDirectory()) return dir;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
  }
  throw notFound(name);
}

/** Files and bytes under a directory (regular files only, symlinks not followed). */
async function measure(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const d of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) {
      const sub = await measure(p);
      files += sub.files;
      bytes += sub.bytes;
    } else if (d.isFile()) {
      files++;
      bytes += (await fs.lstat(p)).size;
    }
  }
  return { files, bytes };
}

async function listBackups(ctx: ServerContext, busy: ReadonlySet<string>): Promise<BackupInfo[]> {
  let dirents;
  try {
    dirents = await fs.readdir(backupsDir(ctx), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: BackupInfo[] = [];
  for (const d of dirents) {
    if (!d.isDirectory() || !NAME_RE.test(d.name) || d.name.includes('..') || busy.has(d.name)) continue;
    const dir = path.join(backupsDir(ctx), d.name);
    try {
      const st = await fs.lstat(dir);
      const { files, bytes } = await measure(dir);
      // birthtime is 0 on filesystems that do not record it.
      const createdMs = st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs;
      out.push({ name: d.name, bytes, files, createdAt: new Date(createdMs).toISOString() });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // deleted while listed
    }
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.name < b.name ? 1 : -1));
}

/**
 * A fresh name (the store's timestamp style, suffixed when two backups start in the same ms),
 * already added to `busy`: claimed before any await, so two concurrent POSTs cannot pick the same.
 */
async function claimName(ctx: ServerContext, busy: Set<string>): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (let i = 0; ; i++) {
    const name = i === 0 ? stamp : `${stamp}-${i}`;
    if (busy.has(name)) continue;
    busy.add(name);
    try {
      await fs.lstat(path.join(backupsDir(ctx), name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return name;
      busy.delete(name);
      throw err;
    }
    busy.delete(name); // exists on disk already
  }
}

export function registerBackup(app: Hono<AppEnv>, ctx: ServerContext): void {
  // Backups being written by POST: hidden from the list, not downloadable or deletable yet.
  const busy = new Set<string>();

  app.post('/api/v1/backup', async (c) => {
    const name = await claimName(ctx, busy);
    try {
      const report = await ctx.tl.backup(path.join(backupsDir(ctx), name));
      ctx.self.inc('timeless_backups_total', 'Backups taken over HTTP.', {});
      return c.json({ name, path: report.path, files: report.files, bytes: report.bytes }, 201);
    } finally {
      busy.delete(name);
    }
  });

  app.get('/api/v1/backup', async (c) => c.json({ backups: await listBackups(ctx, busy) }));

  app.get('/api/v1/backup/:name/download', async (c) => {
    const name = c.req.param('name');
    const dir = await existingBackup(ctx, name, busy);
    ctx.self.inc('timeless_backup_downloads_total', 'Backup downloads started.', {});
    const body = tarGzStream(dir, {
      prefix: name,
      onEnd: (outcome, err) => {
        ctx.self.inc('timeless_backup_downloads_ended_total', 'Backup downloads by outcome (done, cancelled by the client, error).', { outcome });
        if (outcome === 'error') console.error(`timeless: download of backup '${name}' failed:`, err);
      },
    });
    return c.body(body, 200, {
      'Content-Type': 'application/gzip',
      'Content-Disposition': `attachment; filename="${name}.tar.gz"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
  });

  app.delete('/api/v1/backup/:name', async (c) => {
    const name = c.req.param('name');
    const dir = await existingBackup(ctx, name, busy);
    await fs.rm(dir, { recursive: true, force: true });
    return c.json({ deleted: name });
  });
}
