// The runtime image used by tests and the sample config: dockyard/runtime-busybox:1, built from scratch + busybox.
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engineRequest } from './engine.mjs';
import { say } from './proc.mjs';
import { requireProgram } from './system.mjs';

export const RUNTIME_IMAGE = 'dockyard/runtime-busybox:1';

async function imageExists(dockerHost, tag) {
  const { status, text } = await engineRequest(dockerHost, 'GET', `/images/${tag}/json`);
  if (status === 200) return true;
  if (status === 404) return false;
  throw new Error(`inspecting image ${tag}: ${status} ${text}`);
}

/** The build's JSON-lines output carries failures as { error } entries, with an HTTP 200. */
function buildError(text) {
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line);
      if (entry.error) return entry.error;
    } catch {
      /* not JSON: ignore */
    }
  }
  return null;
}

/** Build the image through the engine API (POST /build with a tar of the context made by the system's tar). */
async function buildImage(dockerHost, tag, contextDir) {
  const tar = spawn('tar', ['-c', '-C', contextDir, '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const query = `t=${encodeURIComponent(tag)}&rm=1&forcerm=1&q=1`;
  const { status, text } = await engineRequest(dockerHost, 'POST', `/build?${query}`, {
    body: tar.stdout,
    headers: { 'Content-Type': 'application/x-tar' },
    timeoutMs: 300000,
  });
  const error = status === 200 ? buildError(text) : `${status} ${text}`;
  if (error) throw new Error(`building ${tag} failed: ${error}`);
}

/** True for a 64-bit little-endian ELF without a PT_INTERP header: it needs no libc, so it runs FROM scratch. */
function isStaticElf(file) {
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.toString('latin1', 1, 4) !== 'ELF' || header[4] !== 2 || header[5] !== 1) return false;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const table = Buffer.alloc(phentsize * header.readUInt16LE(0x38));
    readSync(fd, table, 0, table.length, phoff);
    for (let at = 0; at < table.length; at += phentsize) if (table.readUInt32LE(at) === 3) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

export async function ensureRuntimeImage(dockerHost, repoDir) {
  if (await imageExists(dockerHost, RUNTIME_IMAGE)) return RUNTIME_IMAGE;
  const busybox = await requireProgram({
    what: 'a static busybox',
    find: () => (existsSync('/bin/busybox') && isStaticElf('/bin/busybox') ? '/bin/busybox' : null),
    aptPackages: ['busybox-static'],
  });
  say(`building ${RUNTIME_IMAGE}`);
  const context = mkdtempSync(path.join(os.tmpdir(), 'dockyard-image-'));
  try {
    copyFileSync(path.join(repoDir, 'docker', 'runtime-busybox', 'Dockerfile'), path.join(context, 'Dockerfile'));
    copyFileSync(busybox, path.join(context, 'busybox'));
    await buildImage(dockerHost, RUNTIME_IMAGE, context);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  if (!(await imageExists(dockerHost, RUNTIME_IMAGE))) throw new Error(`${RUNTIME_IMAGE} is missing after its build`);
  return RUNTIME_IMAGE;
}
