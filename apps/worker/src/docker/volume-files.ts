import { Readable } from 'node:stream';
import * as tar from 'tar-stream';

/** The regular files in the tar stream Docker returns for GET /archive?path=/configs/. (paths relative to the volume root). */
export async function listArchiveFiles(stream: NodeJS.ReadableStream): Promise<Set<string>> {
  const extract = tar.extract();
  const files = new Set<string>();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, body, next) => {
      const rel = header.name.replace(/^[^/]+\/?/, ''); // strip the leading "configs/"
      if (header.type === 'file' && rel) files.add(rel);
      body.on('end', next);
      body.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  (stream as Readable).pipe(extract);
  await done;
  return files;
}

export interface FileEntry {
  path: string;
  content?: Buffer;
  /** a symlink target (relative, validated to stay inside the template) */
  linkname?: string;
  mode?: number;
  type: 'file' | 'directory' | 'symlink';
}

/** Pack entries into a tar archive for PUT /archive. */
export async function packArchive(entries: FileEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) {
    if (e.type === 'directory') pack.entry({ name: e.path, type: 'directory', mode: e.mode ?? 0o755 });
    else if (e.type === 'symlink') pack.entry({ name: e.path, type: 'symlink', linkname: e.linkname! });
    else pack.entry({ name: e.path, mode: e.mode ?? 0o644 }, e.content ?? Buffer.alloc(0));
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}
