/**
 * Sentinel failovers under load, round after round.
 *
 *   npm run reliability:failover                 # build, then 10 rounds
 *   FAILOVERS=50 node dist/bench/reliability/failover-loop.js
 *
 * One Sentinel group (a master, a replica, three sentinels) on loopback ports and one
 * radgate with `wait_replicas: 1`, as in test/reliability/sentinel.test.ts; each round puts
 * single-use codes under steady load, forces a failover, waits until the gateway answers
 * again, and checks every code against the new master. Prints one line per round and exits
 * 1 if any code was accepted for two requests or accepted without its use reaching the new
 * master, 2 if a round never recovered (or the group did not settle), 0 otherwise.
 *
 * Environment:
 *   FAILOVERS         rounds (default 10)
 *   FAILOVER_KIND     alternate (default) | sentinel-failover | kill-master
 *   SENTINEL_PERIODS  default (Sentinel's own: the old master becomes a replica ~10 s
 *                     after a forced failover) | quick (INFO 1 s, hello 0.5 s, as in CI)
 *   RATE              Access-Requests per second (default 60)
 *   WAIT_REPLICAS     redis.wait_replicas (default 1); 0 shows what WAIT prevents
 */
import { FAILOVER_GATEWAY, failoverUnderLoad, type FailoverRound, type SentinelFault } from '../../harness/failover.js';
import { exitOnSignals } from '../../harness/processes.js';
import { startRadgateOn } from '../../harness/stack.js';
import { SentinelTopology } from '../../harness/topologies/sentinel.js';

function setting(name: string, fallback: string, allowed?: readonly string[]): string {
  const value = process.env[name] ?? fallback;
  if (allowed !== undefined && !allowed.includes(value)) throw new Error(`${name} must be one of ${allowed.join(', ')}`);
  return value;
}

const rounds = Number(setting('FAILOVERS', '10'));
const kind = setting('FAILOVER_KIND', 'alternate', ['alternate', 'sentinel-failover', 'kill-master']);
const periods = setting('SENTINEL_PERIODS', 'default', ['default', 'quick']);
const rate = Number(setting('RATE', '60'));
const waitReplicas = Number(setting('WAIT_REPLICAS', '1', ['0', '1']));
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('FAILOVERS must be a positive integer');
if (!(rate > 0 && rate <= 1000)) throw new Error('RATE must be between 1 and 1000 requests per second');

// Exit hooks stop every redis-server and sentinel this process started; on Ctrl-C they
// would not run, as Node ends on SIGINT without them.
exitOnSignals();

function faultOf(round: number): SentinelFault {
  if (kind !== 'alternate') return kind as SentinelFault;
  return round % 2 === 1 ? 'sentinel-failover' : 'kill-master';
}

const COLUMNS = ['round', 'fault', 'requests', 'answered', 'accepts', 'double accepts', 'unacknowledged', 'burnt', 'switch ms', 'recover ms', 'switched again'];

function row(index: number, round: FailoverRound): string {
  const cells = [
    index,
    round.fault,
    round.requests,
    round.answered,
    round.accepted,
    round.doubleAccepted.length,
    round.unacknowledged.length,
    round.burnt,
    round.switchMs,
    round.recoverMs ?? 'never',
    round.finalPort === round.toPort ? 'no' : 'yes',
  ];
  return `| ${cells.join(' | ')} |`;
}

async function main(): Promise<number> {
  console.log(`# Sentinel failover loop: ${rounds} rounds, ${kind}, ${periods} sentinel periods, ${rate} requests/s, wait_replicas ${waitReplicas}\n`);
  console.log('double accepts: codes accepted for two requests (must be 0); unacknowledged: accepted codes whose use is');
  console.log('missing on the master after the round (must be 0); burnt: codes used but never answered Accept (a dropped');
  console.log('reply); switched again: the sentinels failed over a second time during the round (their doing, not radgate\'s).\n');
  const topology = await SentinelTopology.start({ quickSentinels: periods === 'quick' });
  const radgate = await startRadgateOn(topology.url, { ...FAILOVER_GATEWAY, redis: FAILOVER_GATEWAY.redis.replace('wait_replicas: 1', `wait_replicas: ${waitReplicas}`), captureLevel: 'warn' });
  let unsafe = 0;
  let stuck = 0;
  try {
    console.log(`| ${COLUMNS.join(' | ')} |`);
    console.log(`|${COLUMNS.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
    const recoveries: number[] = [];
    for (let index = 1; index <= rounds; index++) {
      const round = await failoverUnderLoad(topology, radgate, faultOf(index), { label: `loop${index}`, load: { requestsPerSecond: rate } });
      console.log(row(index, round));
      if (round.doubleAccepted.length > 0 || round.unacknowledged.length > 0 || round.inconsistent > 0) {
        unsafe++;
        console.error(`round ${index}: accepted twice ${JSON.stringify(round.doubleAccepted)}, unacknowledged ${JSON.stringify(round.unacknowledged)}, inconsistent ${round.inconsistent}`);
      }
      if (round.recoverMs === undefined) {
        stuck++;
        break;
      }
      recoveries.push(round.recoverMs);
      await topology.settled(60_000);
    }
    if (recoveries.length > 0) {
      const sorted = [...recoveries].sort((a, b) => a - b);
      console.log(`\nrecovery: median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms over ${sorted.length} rounds`);
    }
  } catch (error) {
    console.error(error);
    stuck++;
  } finally {
    await radgate.close();
    await topology.close();
  }
  if (unsafe > 0) {
    console.error(`\nFAIL: ${unsafe} round(s) accepted a code twice or without an acknowledged use`);
    return 1;
  }
  if (stuck > 0) {
    console.error('\nFAIL: the gateway did not answer again after a failover, or the group did not settle');
    return 2;
  }
  console.log('\nOK: no code accepted twice');
  return 0;
}

process.exitCode = await main();
