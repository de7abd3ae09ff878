import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, formatIssue } from '../config/errors.js';
import { parseConfig } from '../config/load.js';
import { compareConfigs } from '../config/reload-diff.js';
import type { RadgateConfig } from '../config/types.js';

/** A configuration file read and validated once, and its text, which workers parse again. */
export interface ReadConfig {
  readonly config: RadgateConfig;
  readonly text: string;
}

/** The same reading of the same text as the loader's: relative paths resolve against the file's folder. */
export function parseConfigText(source: string, text: string): RadgateConfig {
  return parseConfig(text, { source, baseDir: dirname(source) });
}

/**
 * Puts a validated configuration in force everywhere (in this process, or in every
 * worker); resolves with why it could not, or undefined once it is in force.
 */
export type ApplyConfig = (read: ReadConfig) => Promise<string | undefined>;

/**
 * Live reload (SIGHUP, `radgate reload`): the file is read and validated once, here; a file
 * with a problem changes nothing and is reported in one log line (file, line, key); a
 * valid one is applied and what it changed is logged, with the settings that changed but
 * only a restart applies (config/reload-diff.ts). Reloads run one at a time: a signal
 * during a reload runs one more afterwards, with the file as it is then.
 */
export class Reloader {
  private running: RadgateConfig;
  private busy: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly started: RadgateConfig,
    private readonly apply: ApplyConfig,
    private readonly logger: Logger,
  ) {
    this.running = started;
  }

  /** Starts a reload, or queues one after the reload under way; resolves when none is left. */
  reload(): Promise<void> {
    if (this.busy !== undefined) {
      this.again = true;
      return this.busy;
    }
    this.busy = (async () => {
      try {
        do {
          this.again = false;
          await this.reloadOnce();
        } while (this.again);
      } catch (error) {
        // A reload that fails in an unforeseen way must not stop the next one, nor the gateway.
        this.logger.error({ event: 'reload', outcome: 'failed', err: error }, 'configuration reload failed; the running configuration stays in force');
      } finally {
        this.busy = undefined;
      }
    })();
    return this.busy;
  }

  private async reloadOnce(): Promise<void> {
    const source = this.started.source;
    const read = this.read(source);
    if (read === undefined) return;
    const changes = compareConfigs(this.running, this.started, read.config);
    const problem = await this.apply(read);
    if (problem !== undefined) {
      this.logger.error({ event: 'reload', file: source, outcome: 'refused' }, `configuration reload refused: ${problem}; the running configuration stays in force`);
      return;
    }
    this.running = read.config;
    this.logger.info({ event: 'reload', file: source, outcome: 'reloaded', changed: changes.applied }, 'configuration reloaded');
    if (changes.needRestart.length > 0) {
      this.logger.warn(
        { event: 'reload', file: source, restart_needed: changes.needRestart },
        `changed settings that only a restart applies (still running with the old values): ${changes.needRestart.join(', ')}`,
      );
    }
  }

  /** The file, validated; undefined (after one error line naming file, line and key) when it cannot be used. */
  private read(source: string): ReadConfig | undefined {
    let text: string;
    try {
      text = readFileSync(source, 'utf8');
      return { config: parseConfigText(source, text), text };
    } catch (error) {
      if (error instanceof ConfigError) {
        this.logger.error(
          { event: 'reload', outcome: 'refused', code: error.code, file: source, line: error.line, key: error.path, problems: error.issues.length },
          `configuration reload refused: ${error.issues.map((issue) => formatIssue(source, issue)).join('; ')}; the running configuration stays in force`,
        );
        return undefined;
      }
      const code = (error as NodeJS.ErrnoException).code;
      const problem = code === undefined ? (error instanceof Error ? error.message : String(error)) : `cannot read the file: ${code}`;
      this.logger.error({ event: 'reload', outcome: 'refused', code: (error as { code?: unknown }).code, file: source }, `configuration reload refused: ${source}: ${problem}; the running configuration stays in force`);
      return undefined;
    }
  }
}
