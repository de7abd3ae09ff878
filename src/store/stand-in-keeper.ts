import type { Logger } from 'pino';
import type { StoreConnection } from './connection.js';
import { LuaScript } from './lua-script.js';
import { standInFields, type StandInRecords } from './stand-in-records.js';

/** Triples checked per round trip while writing them (up to 16,384). */
const WRITE_PAGE = 1000;

/**
 * Keeps the stand-in records (stand-in-records.ts) written: a gateway's job, never a CLI
 * command's. Nothing else ever writes them.
 */
export class StandInKeeper {
  private readonly ensureScript: LuaScript;
  /** The gateway keeps them (see keep); they are still to be written. */
  private kept = false;
  private wanted = false;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly parts: {
      readonly connection: StoreConnection;
      readonly standIns: StandInRecords;
      /** How many users there are: a single Redis keeps about as many stand-ins. */
      readonly countUsers: () => Promise<number>;
      readonly logger: Logger;
    },
  ) {
    const { connection } = parts;
    this.ensureScript = new LuaScript(connection.redis, { name: 'ensureStandIn', file: new URL('./scripts/ensure-stand-in.lua', import.meta.url), keys: 2 });
    connection.onReady(() => {
      // A new connection may be to a Redis that lost its data, or to another server.
      if (!this.kept) return;
      this.wanted = true;
      void this.write();
    });
    connection.onProbeAnswered(() => {
      if (this.wanted) void this.write();
    });
  }

  /**
   * Keeps them in Redis: written now, whenever the connection is made again (a Redis
   * restarted without its data, another master after a failover) and, after a failure, at
   * the next health probe that Redis answers. The gateway calls this; CLI commands do not
   * write them.
   */
  keep(): Promise<void> {
    this.kept = true;
    this.wanted = true;
    return this.write();
  }

  /** One write at a time; a call meanwhile is served by the write in progress. */
  private write(): Promise<void> {
    this.writing ??= this.ensure().finally(() => (this.writing = undefined));
    return this.writing;
  }

  private async ensure(): Promise<void> {
    const { connection, logger } = this.parts;
    const redis = connection.redis;
    try {
      const users = await this.parts.countUsers();
      const pairs = this.parts.standIns.allFor(users);
      let written = 0;
      // Only the missing pairs are sent their fields, so a gateway start costs one EXISTS per pair.
      for (let start = 0; start < pairs.length; start += WRITE_PAGE) {
        const page = pairs.slice(start, start + WRITE_PAGE);
        const present = await connection.background(() => Promise.all(page.map((keys) => redis.exists(keys.user, keys.codes))));
        const missing = page.filter((_, i) => present[i] !== 2);
        if (missing.length === 0) continue;
        const { user, codes } = standInFields(Date.now());
        const results = await connection.background(() => Promise.all(missing.map((keys) => this.ensureScript.run([keys.user, keys.codes, user.length / 2, ...user, ...codes]))));
        written += results.filter((result) => result === 1).length;
      }
      this.parts.standIns.use(users);
      this.wanted = false;
      if (written > 0) logger.debug({ written, kept: pairs.length }, 'stand-in records for unknown users written');
    } catch (error) {
      // Not fatal: until they exist an unknown user is only refused faster than a wrong PIN.
      this.wanted = true;
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not write the stand-in records for unknown users; trying again once Redis answers');
    }
  }

}
