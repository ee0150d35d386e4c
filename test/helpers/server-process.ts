import type { ChildProcess } from 'node:child_process';

/**
 * Signal a server a test started and wait until it is gone; `escalate` (e.g. SIGKILL) follows
 * after `afterMs` whatever the first signal. Does nothing if it already exited.
 */
export async function endServer(p: ChildProcess | undefined, signal: NodeJS.Signals, escalate: NodeJS.Signals, afterMs: number): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill(signal);
  const timer = setTimeout(() => p.kill(escalate), afterMs);
  await exited;
  clearTimeout(timer);
}

/** Never let the server outlive this test process, even if a hook times out before it is stopped. */
export function reapOnExit(p: ChildProcess, signal: NodeJS.Signals): void {
  const reap = () => p.kill(signal);
  process.once('exit', reap);
  p.once('exit', () => process.removeListener('exit', reap));
}
