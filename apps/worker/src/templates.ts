import { lstat, readFile, readdir, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep, posix, dirname } from 'node:path';
import { PermanentError } from '@dockyard/shared';
import type { FileEntry } from './docker/volume-files.ts';

export interface Template {
  /** folder name, e.g. "claude-code-default" */
  name: string;
  dir: string;
}

/** The template folders tried for a runtime, in order. */
export const templateCandidates = (runtime: string): string[] => [`${runtime}-default`, runtime];

/** `<runtime>-default`, else `<runtime>`; each must hold config.yaml. Undefined when neither does. */
export async function resolveTemplate(templatesDir: string, runtime: string): Promise<Template | undefined> {
  for (const name of templateCandidates(runtime)) {
    const dir = join(templatesDir, name);
    const st = await lstat(join(dir, 'config.yaml')).catch(() => undefined);
    if (st?.isFile()) return { name, dir };
  }
  return undefined;
}

export function noTemplateError(templatesDir: string, runtime: string): PermanentError {
  const looked = templateCandidates(runtime).map((n) => join(templatesDir, n, 'config.yaml'));
  return new PermanentError(`no template for runtime ${runtime}: looked for ${looked.join(' and ')}`);
}

const within = (root: string, p: string) => p === root || p.startsWith(root + sep);

/**
 * Read a template folder into archive entries without ever following a symlink
 * or a `..` out of it: a link pointing outside the root refuses the whole template
 * (nothing is copied); links inside it are copied as links.
 */
export async function readTemplateEntries(template: Template): Promise<FileEntry[]> {
  const root = await realpath(template.dir);
  const entries: FileEntry[] = [];
  async function walk(dir: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name);
      const rel = relative(root, abs).split(sep).join(posix.sep);
      const st = await lstat(abs);
      if (st.isSymbolicLink()) {
        const target = await readlink(abs);
        const resolved = resolve(dirname(abs), target);
        if (isAbsolute(target) || !within(root, resolved)) {
          throw new PermanentError(`template ${template.name} is refused: ${rel} is a symlink pointing outside the template folder`);
        }
        entries.push({ path: rel, type: 'symlink', linkname: target });
      } else if (st.isDirectory()) {
        entries.push({ path: rel, type: 'directory', mode: st.mode & 0o777 });
        await walk(abs);
      } else if (st.isFile()) {
        entries.push({ path: rel, type: 'file', mode: st.mode & 0o777, content: await readFile(abs) });
      } else {
        throw new PermanentError(`template ${template.name} is refused: ${rel} is not a regular file, folder or symlink`);
      }
    }
  }
  await walk(root);
  return entries;
}
