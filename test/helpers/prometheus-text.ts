/** A strict parser of the Prometheus text exposition format (0.0.4), for tests. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  type: string;
  help: string;
  samples: Sample[];
}
export type Exposition = Map<string, Family>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

/** Parse the Prometheus text format strictly: any line that is not HELP, TYPE or a well-formed sample of a declared family fails. */
export function parseExposition(text: string): Exposition {
  const families: Exposition = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      const f = families.get(name) ?? { type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (families.get(name)?.type !== undefined && families.get(name)!.type !== 'untyped') throw new Error(`family ${name} declared twice`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type in: ${line}`);
        f.type = rest;
      } else f.help = rest;
      families.set(name, f);
      continue;
    }
    if (line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) throw new Error(`malformed sample: ${line}`);
    let i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
        if (!key || line.slice(i + key.length, i + key.length + 2) !== '="') throw new Error(`malformed labels: ${line}`);
        i += key.length + 2;
        let value = '';
        while (line[i] !== '"') {
          if (i >= line.length) throw new Error(`unterminated label value: ${line}`);
          if (line[i] === '\\') {
            const esc = line[i + 1];
            value += esc === 'n' ? '\n' : esc === '\\' ? '\\' : esc === '"' ? '"' : (() => { throw new Error(`bad escape: ${line}`); })();
            i += 2;
          } else value += line[i++];
        }
        labels[key] = value;
        i++;
        if (line[i] === ',') i++;
      }
      i++;
    }
    const rest = line.slice(i);
    if (!/^ (-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?|[+-]Inf|NaN)( -?[0-9]+)?$/.test(rest)) throw new Error(`malformed value: ${line}`);
    const raw = rest.trim().split(' ')[0]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    const family = [...families.entries()].find(([fname, f]) =>
      (SUFFIXES[f.type] ?? ['']).some((suffix) => fname + suffix === name),
    );
    if (!family) throw new Error(`sample of an undeclared family: ${line}`);
    family[1].samples.push({ name, labels, value });
  }
  for (const [name, f] of families) if (f.type === 'untyped' && f.samples.length === 0) throw new Error(`HELP without TYPE: ${name}`);
  return families;
}

/** The value of the sample `name` whose labels include `labels` (0 when absent, as Prometheus would treat a counter). */
export function valueOf(m: Exposition, name: string, labels: Record<string, string> = {}): number {
  for (const f of m.values()) {
    const s = f.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    if (s) return s.value;
  }
  return 0;
}
export const hasSample = (m: Exposition, name: string, labels: Record<string, string>) =>
  [...m.values()].some((f) => f.samples.some((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)));

