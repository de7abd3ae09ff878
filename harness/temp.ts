import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();
let cleanupInstalled = false;

/** A fresh private directory, removed when this process exits (the servers using it are stopped by then). */
export function tempDir(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), `radgate-${prefix}-`));
  made.add(directory);
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.on('exit', () => {
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    });
  }
  return directory;
}
