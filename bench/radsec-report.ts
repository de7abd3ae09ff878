/** The RadSec rows against their UDP twins: same gateway process, scenario and in-flight count. */
import { formatFixed, formatInteger, summarize, type Row } from './report.js';

export function radsecVersusUdpTable(pairs: readonly { readonly udp: Row; readonly radsec: Row }[]): string {
  const lines = [
    '| scenario | server | in flight | UDP µs/login | RadSec µs/login | RadSec ÷ UDP | UDP req/s | RadSec req/s | RadSec ÷ UDP | RadSec p99 ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { udp, radsec } of pairs) {
    if (udp.samples.length === 0 || radsec.samples.length === 0) continue;
    const u = summarize(udp);
    const r = summarize(radsec);
    lines.push(
      `| ${udp.scenario} | ${udp.server} | ${udp.inFlight} | ${formatFixed(u.totalUs, 1)} | ${formatFixed(r.totalUs, 1)} | ${(r.totalUs / u.totalUs).toFixed(2)}× | ` +
        `${formatInteger(u.requestsPerSecond)} | ${formatInteger(r.requestsPerSecond)} | ${(r.requestsPerSecond / u.requestsPerSecond).toFixed(2)}× | ${formatFixed(r.p99, 2)} |`,
    );
  }
  return lines.join('\n');
}
