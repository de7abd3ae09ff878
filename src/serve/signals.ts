/** Resolves on the first SIGTERM or SIGINT: the shutdown signal of a service manager or a terminal. */
export function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

/**
 * Calls `listener` on every SIGHUP (reload, as `systemctl reload` and `radgate reload` send
 * it). Installed first thing in `serve`: SIGHUP's default action ends the process, which is
 * how a reload used to kill the gateway silently. Returns the function that removes it.
 */
export function onReloadSignal(listener: () => void): () => void {
  process.on('SIGHUP', listener);
  return () => void process.off('SIGHUP', listener);
}
