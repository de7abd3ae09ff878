/**
 * The ops listener as Prometheus and a service manager see it: GET a route, and the
 * Prometheus text format parsed into series, so a test compares exact deltas.
 */
import { request } from 'node:http';

export interface OpsResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export function opsGet(port: number, path: string, headers: Record<string, string> = {}): Promise<OpsResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Every sample of a text exposition, keyed `name{label="value",…}` with the labels sorted
 * by name (`name` alone when it has none). Comments and blank lines are skipped.
 */
export type Samples = ReadonlyMap<string, number>;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseSamples(text: string): Samples {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(LABEL)].map(([, name, value]) => `${name}="${value}"`).sort();
    samples.set(labels.length === 0 ? match[1]! : `${match[1]}{${labels.join(',')}}`, Number(match[3]));
  }
  return samples;
}

/** The series key for `name` and `labels`, as parseSamples writes it. */
export function series(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.entries(labels).map(([label, value]) => `${label}="${value}"`).sort();
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

export async function scrape(port: number, headers: Record<string, string> = {}): Promise<{ text: string; samples: Samples }> {
  const response = await opsGet(port, '/metrics', headers);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${response.body}`);
  return { text: response.body, samples: parseSamples(response.body) };
}

/** How much every series whose key starts with `prefix` moved between two scrapes (series that did not move left out). */
export function deltas(before: Samples, after: Samples, prefix: string): Record<string, number> {
  const moved: Record<string, number> = {};
  for (const [key, value] of after) {
    if (!key.startsWith(prefix)) continue;
    const delta = value - (before.get(key) ?? 0);
    if (delta !== 0) moved[key] = delta;
  }
  return moved;
}
