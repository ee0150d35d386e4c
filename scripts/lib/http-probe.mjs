// GET a URL and report its status code and body, or null when nothing answers.
import http from 'node:http';

/** GET url: { status, body } (body parsed as JSON when it is), or null when nothing answers. */
export function probe(url, timeoutMs = 2000, headers = {}) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let body = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? null, body });
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}
