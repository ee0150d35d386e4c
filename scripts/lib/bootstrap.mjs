// pnpm and the workspace's dependencies.
import { capture, run, say } from './proc.mjs';

const PNPM_VERSION = '12.4.2';

export async function ensurePnpm() {
  const version = capture('pnpm', ['--version']);
  if (version?.startsWith('12.')) return;
  say(`pnpm ${version ?? 'not found'}: running npm i -g pnpm@${PNPM_VERSION}`);
  const code = await run('npm', ['i', '-g', `pnpm@${PNPM_VERSION}`]);
  if (code !== 0) throw new Error(`npm i -g pnpm@${PNPM_VERSION} exited ${code}`);
  const installed = capture('pnpm', ['--version']);
  if (!installed?.startsWith('12.')) {
    throw new Error(`pnpm still reports ${installed ?? 'nothing'} after the install; is npm's global bin on PATH?`);
  }
}

export async function ensureDeps(repoDir) {
  say('pnpm install --frozen-lockfile');
  const code = await run('pnpm', ['install', '--frozen-lockfile'], { cwd: repoDir });
  if (code !== 0) throw new Error(`pnpm install --frozen-lockfile exited ${code}`);
}
