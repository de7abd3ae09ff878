import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { KeysConfig } from '../config/types.js';
import { createKeyFile, isKeyFileExposed, readKeyFile } from './key-file.js';
import { Keyring } from './keyring.js';

/**
 * `keys.create_if_missing` (quick start): creates the key file if there is none. Only
 * `radgate serve` calls this; every other command only reads the key, so a helpdesk host
 * without it gets an error instead of a new key whose codes the gateway would refuse.
 */
export function createKeyFileIfMissing(config: KeysConfig, logger: Logger): void {
  if (!config.createIfMissing || existsSync(config.file)) return;
  createKeyFile(config.file);
  logger.warn({ file: config.file }, 'created a new master key file (keys.create_if_missing); back it up: without it no PIN or code verifies');
}

/** Reads the master key (and any previous ones) named by the config into a Keyring. */
export function loadKeyring(config: KeysConfig, logger?: Logger): Keyring {
  const current = readKeyFile(config.file);
  if (isKeyFileExposed(config.file)) {
    logger?.warn({ file: config.file }, 'the key file is readable by group or others: chmod 600 it');
  }
  return new Keyring(current, config.previousFiles.map(readKeyFile));
}
