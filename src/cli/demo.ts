import type { Logger } from 'pino';
import { AdminError } from '../admin/admin-error.js';
import type { RadgateConfig } from '../config/types.js';
import { groupCode } from '../credentials/codes/alphabet.js';
import { openAdmin } from '../serve/admin-access.js';

export const DEMO_USER = 'demo';
export const DEMO_PIN = '1234';

/**
 * For the quick start only (`serve --demo`): makes sure a user `demo` with PIN 1234 and a
 * TOTP token exists, issues a fresh emergency passcode, and tells the person at the
 * terminal how to try it. Never used with a real configuration.
 */
export async function prepareDemo(config: RadgateConfig, logger: Logger, secretHint: string, port: number): Promise<string> {
  const actor = { operator: 'quickstart', reason: 'serve --demo' };
  const admin = await openAdmin(config, logger, { connectTimeoutMs: config.redis.commandTimeoutMs * 6 });
  try {
    const { service } = admin;
    let uri: string | undefined;
    try {
      await service.addUser(DEMO_USER, DEMO_PIN, actor);
      uri = (await service.assignToken(DEMO_USER, {}, actor)).uri;
    } catch (error) {
      if (!(error instanceof AdminError && error.code === 'RADGATE_ADMIN_USER_EXISTS')) throw error;
      await service.unlockUser(DEMO_USER, actor);
    }
    const [passcode] = await service.issueCodes(DEMO_USER, { kind: 'emergency-passcode', lifetime: '24h' }, actor);
    return [
      '',
      'radgate quick start is running. Try it from another terminal:',
      '',
      `  radtest ${DEMO_USER} ${passcode!.code} 127.0.0.1:${port} 0 ${secretHint}`,
      '',
      `  (user "${DEMO_USER}", emergency passcode ${groupCode(passcode!.code)}, valid 24 hours; PIN ${DEMO_PIN})`,
      ...(uri === undefined ? [] : ['', `  To try PIN + tokencode, enrol this TOTP token in an authenticator app and type ${DEMO_PIN} followed by its 6 digits:`, `  ${uri}`]),
      '',
    ].join('\n');
  } finally {
    await admin.close();
  }
}
