// Minimal Docker Engine API client over http (unix socket or tcp), no dependencies.
import http from 'node:http';

/** http.request options for a DOCKER_HOST value: unix:///path or tcp://host:port. */
export function engineTarget(dockerHost) {
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375) };
}

/**
 * One request to the engine. `body` may be a Buffer/string or a readable stream.
 * Resolves { status, text } with the whole response body.
 */
export function engineRequest(dockerHost, method, path, { body, headers = {}, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...engineTarget(dockerHost), method, path, headers, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer from the Docker engine in ${timeoutMs}ms`)));
    req.on('error', reject);
    if (body && typeof body.pipe === 'function') {
      body.on('error', (err) => req.destroy(err));
      body.pipe(req);
    } else {
      req.end(body);
    }
  });
}

/** True when the engine answers GET /_ping with OK. */
export async function pingEngine(dockerHost) {
  try {
    const { status, text } = await engineRequest(dockerHost, 'GET', '/_ping', { timeoutMs: 2000 });
    return status === 200 && text === 'OK';
  } catch {
    return false;
  }
}

/** Remove (only) the containers and volumes carrying the given label (`key=value`). */
export async function removeLabelled(dockerHost, label) {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  const containers = JSON.parse((await engineRequest(dockerHost, 'GET', `/containers/json?all=1&filters=${filters}`)).text);
  for (const { Id } of containers) {
    const { status, text } = await engineRequest(dockerHost, 'DELETE', `/containers/${Id}?force=1&v=1`);
    if (status >= 300 && status !== 404) throw new Error(`removing container ${Id}: ${status} ${text}`);
  }
  const { Volumes } = JSON.parse((await engineRequest(dockerHost, 'GET', `/volumes?filters=${filters}`)).text);
  for (const { Name } of Volumes ?? []) {
    const { status, text } = await engineRequest(dockerHost, 'DELETE', `/volumes/${encodeURIComponent(Name)}?force=1`);
    if (status >= 300 && status !== 404) throw new Error(`removing volume ${Name}: ${status} ${text}`);
  }
  return { containers: containers.length, volumes: (Volumes ?? []).length };
}
