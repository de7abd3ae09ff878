import { SECRET_ENV } from './config.js';
import { RADGATE_BIN, REPO_ROOT } from './paths.js';
import { patient } from './patience.js';
import { startServerProcess, type ServerProcess } from './processes.js';

/**
 * `radgate console` or `radgate self-service` as a subprocess, until it logs that it
 * listens (`listening for WHAT (HTTPS)`) or exits; `port` is undefined when it did not.
 */
export async function startWebCommand(command: 'console' | 'self-service', configPath: string, what: string): Promise<{ readonly server: ServerProcess; readonly port: number | undefined }> {
  let port: number | undefined;
  let listening: (() => void) | undefined;
  const started = new Promise<void>((resolve) => (listening = resolve));
  const message = `"msg":"listening for ${what} (HTTPS)"`;
  const server = startServerProcess(process.execPath, [RADGATE_BIN, command, '--config', configPath], {
    env: { ...process.env, ...SECRET_ENV },
    cwd: REPO_ROOT,
    onLine: (line) => {
      const match = /"port":(\d+),/.exec(line);
      if (match !== null && line.includes(message)) {
        port = Number(match[1]);
        listening?.();
      }
    },
  });
  const timer = setTimeout(() => void server.stop('SIGKILL'), patient(10_000));
  await Promise.race([started, server.exited]);
  clearTimeout(timer);
  return { server, port };
}
