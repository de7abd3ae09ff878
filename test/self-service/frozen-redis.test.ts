import test from 'ava';
import { selfServiceOver } from '../../src/serve/self-service-access.js';
import { CLOCK_SKEW_ALLOWANCE_MS } from '../../src/store/decide/decide-script.js';
import { USER_FIELDS } from '../../src/store/record-format.js';
import { REPLY_WAIT_MS } from '../../harness/patience.js';
import { withConnection } from '../../harness/redis.js';
import { codeInSms, TestSmsGateway, webhookSmsSection } from '../../harness/sms-gateway.js';
import { OPERATOR, startStack } from '../../harness/stack.js';
import { until } from '../../harness/until.js';
import { addUserWithToken } from '../../harness/users.js';

// A frozen Redis (SIGSTOP, a long fork, a stalled disk) runs what queued in its socket when
// it wakes. A PIN reset or a token registration the page answered "unavailable, nothing was
// changed" must not then be applied: redeem-code.lua, like decide.lua, finds itself late.

const COMMAND_TIMEOUT_MS = 500;
const NUMBER = '+4915112345678';
const SOURCE = { source: '203.0.113.9' };

test('a PIN reset and a token registration answered "unavailable" while Redis is frozen are not applied when it wakes', async (t) => {
  const sms = await TestSmsGateway.start();
  const stack = await startStack({ extra: webhookSmsSection(sms.url), redis: `  command_timeout_ms: ${COMMAND_TIMEOUT_MS}\n` });
  try {
    const selfService = selfServiceOver(stack.admin, stack.config, stack.logger, { answerMs: 100 });
    await addUserWithToken(stack.admin, 'tom', '2468');
    await stack.admin.service.setMobile('tom', NUMBER, OPERATOR);
    const userHash = 'rg:user:{tom}';
    const stored = (): Promise<(string | null)[]> => withConnection(stack.redis, (client) => client.hmget(userHash, USER_FIELDS.pin, USER_FIELDS.tokenSerial, USER_FIELDS.failures));
    const evalshaCalls = (): Promise<number> =>
      withConnection(stack.redis, async (client) => Number(/cmdstat_evalsha:calls=(\d+)/.exec(String(await client.info('commandstats')))?.[1] ?? 0));
    // The script is loaded before the freeze (a wrong code, refused), so what queues is an EVALSHA that runs on waking.
    t.deepEqual(await selfService.resetPin('tom', 'AAAA-BBBB-CCCC', '1357', '1357', SOURCE), { ok: false, why: 'refused' });

    const frozenWith = async (action: (code: string) => Promise<unknown>, expected: unknown): Promise<void> => {
      t.is(await selfService.requestCode('tom', SOURCE), 'sent');
      const code = codeInSms(await sms.messageTo(NUMBER));
      const before = await stored();
      const calls = await evalshaCalls();
      stack.redis.freeze();
      const sentAt = Date.now();
      t.deepEqual(await action(code), expected);
      // Woken once the queued script is past the latest time it may run (sent + command
      // timeout + the clock-skew allowance): running now, it must find itself late.
      await until('the queued script is past its deadline', REPLY_WAIT_MS, () => Date.now() > sentAt + COMMAND_TIMEOUT_MS + CLOCK_SKEW_ALLOWANCE_MS + 50, 10);
      stack.redis.thaw();
      await until('the queued script ran', REPLY_WAIT_MS, async () => (await evalshaCalls()) > calls);
      t.deepEqual(await stored(), before, 'no PIN, token or failure count written');
      // The store recovers (its probe lifts the stall).
      await until('the store answers again', REPLY_WAIT_MS * 2, async () => {
        const answer = await selfService.resetPin('tom', 'AAAA-BBBB-CCCC', '1357', '1357', SOURCE);
        return !answer.ok && answer.why === 'refused';
      });
      const codes = await stack.admin.service.listCodes('tom');
      t.like(codes.find((listed) => listed.state === 'active'), { uses: 0 }, 'the code is not spent');
      await stack.admin.service.revokeCodes('tom', 'all', OPERATOR);
    };
    await frozenWith((code) => selfService.resetPin('tom', code, '1357', '1357', SOURCE), { ok: false, why: 'unavailable' });
    await frozenWith((code) => selfService.registerToken('tom', code, '2468', SOURCE), { ok: false, why: 'unavailable' });
  } finally {
    stack.redis.thaw();
    await stack.close();
    await sms.close();
  }
});
