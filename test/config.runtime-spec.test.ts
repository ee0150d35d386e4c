import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadRuntimesFile } from '@dockyard/shared';

const dir = mkdtempSync(join(tmpdir(), 'dockyard-runtime-spec-'));
let n = 0;
/** The error loading a manifest with one runtime `agent` gives, or '' when it loads. */
const errorOf = (agent: Record<string, unknown>): string => {
  const file = join(dir, `runtimes-${n++}.json`);
  writeFileSync(file, JSON.stringify({ runtimes: { agent: { image: 'x:1', ...agent } } }));
  try {
    loadRuntimesFile(file);
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
};

describe('RUNTIMES_FILE: the workspace spec, and the dangerous half refused by name', () => {
  it('accepts ports, data volumes, a network, a healthcheck, user, read-only rootfs, tmpfs and capAdd', () => {
    expect(
      errorOf({
        ports: [{ container: 8000, hostIp: '127.0.0.1' }, { container: 9000, protocol: 'udp', host: 19_000 }],
        volumes: [{ name: 'workspace', path: '/workspace' }],
        network: 'agents',
        healthcheck: { test: ['CMD-SHELL', 'wget -qO- http://127.0.0.1:8000/'], intervalMs: 1000, retries: 3 },
        user: '1000:1000',
        readOnlyRootfs: true,
        tmpfs: { '/tmp': 'size=64m' },
        capAdd: ['NET_BIND_SERVICE'],
      }),
    ).toBe('');
  });

  it.each([
    [{ privileged: true }, 'runtimes.agent.privileged', 'never run privileged'],
    [{ Binds: ['/var/run/docker.sock:/var/run/docker.sock'] }, 'runtimes.agent.Binds', 'Docker socket are never mounted'],
    [{ mounts: [{ type: 'bind', source: '/etc' }] }, 'runtimes.agent.mounts', 'host paths'],
    [{ devices: ['/dev/kvm'] }, 'runtimes.agent.devices', 'host devices'],
    [{ capDrop: [] }, 'runtimes.agent.capDrop', 'drops ALL'],
    [{ networkMode: 'host' }, 'runtimes.agent.networkMode', 'host networking'],
    [{ network: 'host' }, 'runtimes.agent.network', 'not host'],
    [{ capAdd: ['SYS_ADMIN'] }, 'runtimes.agent.capAdd.0', "Docker's default capabilities"],
    [{ volumes: [{ name: '/var/run/docker.sock', path: '/sock' }] }, 'runtimes.agent.volumes.0.name', 'host paths are never mounted'],
    [{ volumes: [{ name: 'data', path: '/configs/data' }] }, 'runtimes.agent.volumes.0.path', 'config volume'],
    [{ volumes: [{ name: 'a', path: '/a' }, { name: 'a', path: '/b' }] }, 'runtimes.agent.volumes.1', 'used twice'],
    [{ volumes: [{ name: 'a', path: '/a', hostPath: '/srv' }] }, 'runtimes.agent.volumes.0', 'hostPath'],
    [{ ports: [{ container: 70_000 }] }, 'runtimes.agent.ports.0.container', ''],
    [{ healthcheck: { test: ['wget'] } }, 'runtimes.agent.healthcheck.test', 'CMD'],
  ])('refuses %j, naming the runtime and the key', (agent, where, why) => {
    const message = errorOf(agent);
    expect(message).toContain(where);
    expect(message).toContain(why);
  });
});
