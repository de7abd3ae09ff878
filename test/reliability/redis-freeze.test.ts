import test from 'ava';
import { generateCode } from '../../src/credentials/codes/alphabet.js';
import { PacketCode } from '../../src/protocol/index.js';
import { CLOCK_SKEW_ALLOWANCE_MS, type DecideScript } from '../../src/store/decide/decide-script.js';
import { openNas, paced, replyName, tagged, type Tagged } from '../../harness/nas.js';
import { patient, REPLY_WAIT_MS } from '../../harness/patience.js';
import { withConnection } from '../../harness/redis.js';
import { startStack } from '../../harness/stack.js';
import { sleep, until } from '../../harness/until.js';
import { addUserWithToken, issue } from '../../harness/users.js';

// Redis frozen (kill -STOP) under load: a real redis-server stopped with SIGSTOP while
// `radgate serve` (a subprocess, so its memory is its own) takes load. The gateway must
// stay silent (or Reject, per on_store_failure), keep its memory bounded, and nothing
// queued in the frozen server's socket may consume a code once it resumes. These tests
// are about the command timeout itself, so they set it (500 ms) rather than take the
// tests' patient default.

const FROZEN_COMMAND_TIMEOUT_MS = 500;
const FROZEN_REDIS = `  command_timeout_ms: ${FROZEN_COMMAND_TIMEOUT_MS}\n`;

const MB = 1024 * 1024;

// --- Redis frozen (SIGSTOP) ------------------------------------------------------------

type FreezeKind = 'valid' | 'wrong' | 'frozen-code';
interface FreezeTag {
  readonly kind: FreezeKind;
  readonly id?: string;
}

for (const onStoreFailure of ['drop', 'reject'] as const) {
  test.serial(`Redis frozen (SIGSTOP) under load, on_store_failure ${onStoreFailure}: ${onStoreFailure === 'drop' ? 'no reply' : 'Reject'}, bounded memory, no queued consume after SIGCONT`, async (t) => {
    const stack = await startStack({ policy: `  reject_delay_ms: 0\n  max_failures: 100\n  on_store_failure: ${onStoreFailure}\n`, redis: FROZEN_REDIS, requestTimeoutMs: 2000 });
    const serve = await stack.startServe();
    // One transmission per request: what is measured is what the gateway does with each.
    const nas = await openNas({ port: serve.port, sockets: 8, retransmitMs: patient(2500), transmissions: 1 });
    try {
      const valid: { user: string; password: string }[] = [];
      for (let u = 0; u < 10; u++) {
        await addUserWithToken(stack.admin, `steady${u}`, '2468');
        const [code] = await issue(stack.admin, `steady${u}`, { kind: 'emergency-tokencode' });
        valid.push({ user: `steady${u}`, password: `2468${code!.code}` });
      }
      await addUserWithToken(stack.admin, 'frozen', '1357');
      const frozenCodes = await issue(stack.admin, 'frozen', { kind: 'emergency-passcode', count: 40 });

      const exchanges: Promise<Tagged<FreezeTag>>[] = [];
      const send = (i: number) => {
        const target = valid[i % valid.length]!;
        exchanges.push(
          i % 3 === 2
            ? tagged(nas.send({ kind: 'access', userName: target.user, password: `2468${generateCode('unambiguous', 8)}` }), { kind: 'wrong' })
            : tagged(nas.send({ kind: 'access', userName: target.user, password: target.password }), { kind: 'valid' }),
        );
      };
      let phaseEnd = Date.now() + 1500;
      let sent = await paced(300, () => Date.now() >= phaseEnd, send);
      // The memory baseline once every request so far has been answered.
      await Promise.all(exchanges);
      const baseline = serve.rssBytes();

      stack.redis.freeze();
      const frozenAt = Date.now();
      const samples: number[] = [];
      const sampler = setInterval(() => samples.push(serve.rssBytes()), 250);
      // Requests for fresh single-use codes while frozen: the first go into Redis's socket
      // before the gateway notices the stall, the rest fail fast.
      const frozenRequests: Promise<Tagged<FreezeTag>>[] = [];
      const frozenSent = frozenCodes.map((code, i) =>
        sleep(i * 25).then(() => {
          frozenRequests.push(tagged(nas.send({ kind: 'access', userName: 'frozen', password: code.code }), { kind: 'frozen-code', id: code.id }));
        }),
      );
      phaseEnd = Date.now() + 4000;
      sent += await paced(300, () => Date.now() >= phaseEnd, (i) => send(sent + i));
      await Promise.all(frozenSent);
      // Still frozen until the gateway has decided every request sent so far: on a busy
      // machine its event loop can lag the sender, and a request it read only after SIGCONT
      // would rightly be answered from a Redis that is back.
      const isDecision = (json: Record<string, unknown>) => json.event === 'decision';
      await serve.logged('a decision line for every request sent while frozen', isDecision, exchanges.length + frozenRequests.length, REPLY_WAIT_MS);
      clearInterval(sampler);
      const isBack = (json: Record<string, unknown>) => json.msg === 'credential store available';
      const backBefore = serve.countLogged(isBack);
      stack.redis.thaw();
      const continuedAt = Date.now();
      // The gateway says the store is back once a health probe is answered after SIGCONT.
      await serve.logged('the gateway logs the store available again', isBack, backBefore + 1, REPLY_WAIT_MS);
      const recoveredAt = Date.now();
      phaseEnd = Date.now() + 2500;
      await paced(300, () => Date.now() >= phaseEnd, (i) => send(sent + i));
      const settled = [...(await Promise.all(exchanges)), ...(await Promise.all(frozenRequests))];

      const during = settled.filter((e) => e.sentAt >= frozenAt && e.sentAt < continuedAt);
      const count = (list: Tagged<FreezeTag>[], reply: string) => list.filter((e) => replyName(e.reply?.code) === reply).length;
      const rejectTimes = during.filter((e) => e.reply !== undefined).map((e) => e.reply!.roundTripMs).sort((a, b) => a - b);
      const growth = Math.max(...samples) - baseline;
      // Reported, not asserted: how far past the command timeout an answer can come.
      const slow = during.filter((e) => e.reply !== undefined && e.reply.roundTripMs > stack.config.redis.commandTimeoutMs + 100);
      if (slow.length > 0) {
        const sentAfter = slow.map((e) => e.sentAt - frozenAt);
        const answeredAt = slow.map((e) => e.sentAt - frozenAt + e.reply!.roundTripMs);
        t.log(
          `${slow.length} answers came later than the command timeout (${stack.config.redis.commandTimeoutMs} ms) + 100 ms: requests sent ${Math.min(...sentAfter)}–${Math.max(...sentAfter)} ms ` +
            `after SIGSTOP, all answered ${Math.min(...answeredAt).toFixed(0)}–${Math.max(...answeredAt).toFixed(0)} ms after it`,
        );
      }
      t.log(
        `${onStoreFailure}: ${during.length} requests while frozen 4 s → accept ${count(during, 'accept')}, reject ${count(during, 'reject')}, none ${count(during, 'none')}; ` +
          `slowest answer while frozen ${rejectTimes.at(-1)?.toFixed(0) ?? '-'} ms (median ${rejectTimes[Math.floor(rejectTimes.length / 2)]?.toFixed(1) ?? '-'} ms); ` +
          `gateway VmRSS ${(baseline / MB).toFixed(1)} MB before, at most ${(Math.max(...samples) / MB).toFixed(1)} MB frozen (+${(growth / MB).toFixed(1)} MB)`,
      );
      t.is(count(during, 'accept'), 0, 'never an Accept while Redis is frozen');
      if (onStoreFailure === 'drop') t.is(count(during, 'none'), during.length, 'no reply at all, so the NAS fails over');
      else t.is(count(during, 'reject'), during.length, 'every request is rejected, valid ones too');
      t.true(growth < 100 * MB, `memory stays bounded (+${(growth / MB).toFixed(1)} MB)`);

      // Recovery by itself: everything sent once the gateway says the store is back is answered as before.
      const after = settled.filter((e) => e.sentAt >= recoveredAt && e.tag.kind !== 'frozen-code');
      t.true(after.length > 100);
      t.is(after.filter((e) => (e.tag.kind === 'valid' ? e.reply?.code !== PacketCode.AccessAccept : e.reply?.code !== PacketCode.AccessReject)).length, 0, 'answered as before the freeze');

      // Nothing queued in the frozen Redis consumed a code after SIGCONT (`code list`).
      const accepted = new Set(settled.filter((e) => e.tag.kind === 'frozen-code' && e.reply?.code === PacketCode.AccessAccept).map((e) => e.tag.id));
      t.is(accepted.size, 0);
      const listed = await stack.cli('code', 'list', 'frozen', '--json');
      t.is(listed.exitCode, 0, listed.stderr);
      const codes = (JSON.parse(listed.stdout) as { codes: { id: string; uses: number }[] }).codes;
      t.is(codes.length, 40);
      t.deepEqual(codes.filter((code) => code.uses !== 0).map((code) => code.id), [], 'no code sent while frozen was consumed');
      // They were not spent, so the user can still log in with each, once.
      const retried = await Promise.all(frozenCodes.map((code) => nas.send({ kind: 'access', userName: 'frozen', password: code.code })));
      t.is(retried.filter((e) => e.reply?.code === PacketCode.AccessAccept).length, 40);
      t.true((await stack.admin.service.listCodes('frozen')).every((code) => code.uses === 1));
    } finally {
      await nas.close();
      stack.redis.thaw();
      t.is(await serve.stop('SIGTERM'), 0);
      await stack.close();
    }
  });
}

test.serial('a decision queued in a frozen Redis is refused as late after SIGCONT: the code is not consumed', async (t) => {
  const stack = await startStack({ redis: FROZEN_REDIS, requestTimeoutMs: 2000 });
  const gateway = await stack.startGateway();
  const nas = await openNas({ port: gateway.server.addresses()[0]!.port, retransmitMs: patient(2000), transmissions: 1 });
  try {
    await addUserWithToken(stack.admin, 'victim', '1357');
    const [code] = await issue(stack.admin, 'victim', { kind: 'emergency-passcode', uses: 1 });
    // Fault injection at the worst moment: the gateway holds no copy of this new user, so
    // its first round trip returns the record; Redis freezes right after answering it, so
    // the second (the consume) is sent into a frozen server's socket.
    const decider: DecideScript = gateway.store.decider;
    const decide = decider.decide.bind(decider);
    let frozen = false;
    let secondCallAt: number | undefined;
    decider.decide = async (request) => {
      if (request.user === 'victim' && frozen) secondCallAt ??= Date.now();
      const result = await decide(request);
      if (request.user === 'victim' && !frozen) {
        t.is(result.kind, 'stale', 'the first round trip only read the record');
        frozen = true;
        stack.redis.freeze();
      }
      return result;
    };
    // EVAL and EVALSHA together: ioredis falls back to EVAL the first time a script runs.
    const scripts = () =>
      withConnection(stack.redis.url, async (client) =>
        [...String(await client.info('commandstats')).matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0),
      );
    const before = await scripts();
    const request = nas.send({ kind: 'access', userName: 'victim', password: code!.code });
    await until('the second round trip is sent into the frozen Redis', REPLY_WAIT_MS, () => secondCallAt !== undefined, 10);
    await until('the gateway drops the request: the command timed out', REPLY_WAIT_MS * 2, () => gateway.server.counters.get('dropped', 'store-unavailable') === 1, 10);
    // Thawed once the queued decide is past the latest time it may run (sent + command
    // timeout + the clock-skew allowance), so that running now it must find itself late.
    await until('the queued decide is past its deadline', REPLY_WAIT_MS * 2, () => Date.now() > secondCallAt! + FROZEN_COMMAND_TIMEOUT_MS + CLOCK_SKEW_ALLOWANCE_MS + 50, 10);
    stack.redis.thaw();
    t.is((await request).reply, undefined, 'no reply: the decision timed out');
    await until('the store recovers', REPLY_WAIT_MS * 5, () => gateway.store.isHealthy());
    // Two more scripts ran: the read, and the queued decide, which found itself late.
    t.is((await scripts()) - before, 2, 'the queued decide did reach Redis');
    const [listed] = await stack.admin.service.listCodes('victim');
    t.is(listed!.uses, 0, 'and consumed nothing');
    t.true(stack.lines.some((line) => line.includes('"reason":"store-unavailable"')));
    // Still usable, once.
    t.is((await nas.send({ kind: 'access', userName: 'victim', password: code!.code })).reply?.code, PacketCode.AccessAccept);
    t.is((await nas.send({ kind: 'access', userName: 'victim', password: code!.code })).reply?.code, PacketCode.AccessReject);
  } finally {
    await nas.close();
    stack.redis.thaw();
    await stack.close();
  }
});
