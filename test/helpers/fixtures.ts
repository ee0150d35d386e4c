import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A private copy of the fixture runtimes manifest and templates, so a test may change them; `network` names the runtime network of runtimes that have one. */
export function makeFixtureDir(image: string, network = 'dockyard-test-net'): { dir: string; runtimesFile: string; templatesDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dockyard-test-'));
  const templatesDir = join(dir, 'templates');
  cpSync(join(FIXTURES, 'templates'), templatesDir, { recursive: true });
  const runtimesFile = join(dir, 'runtimes.json');
  writeFileSync(runtimesFile, readFileSync(join(FIXTURES, 'runtimes.json'), 'utf8').replaceAll('${IMAGE}', image).replaceAll('${NETWORK}', network));
  return { dir, runtimesFile, templatesDir };
}
