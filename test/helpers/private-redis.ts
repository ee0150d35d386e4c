import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { waitFor } from './wait.ts';
import { endServer, reapOnExit } from './server-process.ts';

/**
 * A private redis-server a test may stop, kill and start for real (other files share the suite's
 * Redis). With `aofDir`, it keeps an append-only file there, so a restart finds its data again.
 */
export function privateRedis(port: number, opts: { aofDir?: string } = {}) {
  let proc: ChildProcess | undefined;
  const answersPing = () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      const done = (ok: boolean) => {
        s.destroy();
        resolve(ok);
      };
      s.setTimeout(1000, () => done(false));
      s.on('error', () => done(false));
      s.on('data', (d) => done(String(d).startsWith('+PONG')));
      s.on('connect', () => s.write('PING\r\n'));
    });
  /** Signal the server and wait until it is gone (SIGKILL after 5 s whatever the signal). */
  const end = async (signal: NodeJS.Signals) => {
    const p = proc;
    proc = undefined;
    await endServer(p, signal, 'SIGKILL', 5_000);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return proc?.pid;
    },
    async start() {
      const persistence = opts.aofDir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', opts.aofDir] : ['--appendonly', 'no'];
      const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], {
        stdio: 'ignore',
      });
      proc = p;
      reapOnExit(p, 'SIGKILL');
      await waitFor('redis-server to answer PING', async () => {
        if (p.exitCode !== null) throw new Error(`redis-server exited with ${p.exitCode}`);
        return answersPing();
      }, { timeoutMs: 10_000 });
    },
    /** SIGKILL at once (a crash); resolves once it is gone */
    kill: () => end('SIGKILL'),
    /** SIGTERM, and SIGKILL if it has not exited within 5 s; resolves once it is gone */
    stop: () => end('SIGTERM'),
  };
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

