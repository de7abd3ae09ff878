/**
 * The configuration in force, replaced whole by a reload (SIGHUP, `radgate reload`). Code
 * that serves requests reads `current` once when a request arrives and keeps that object
 * until the request is answered: a reload then never mixes two configurations in one
 * request (the secret that checked a request signs its reply), and what was in flight
 * finishes under the configuration it started with. Configurations are frozen by the
 * loader, so replacing the reference is the whole swap: one synchronous assignment, seen
 * by the next request and by no earlier one.
 */
export class LiveConfig<Config> {
  #current: Config;

  constructor(initial: Config) {
    this.#current = initial;
  }

  get current(): Config {
    return this.#current;
  }

  replace(next: Config): void {
    this.#current = next;
  }
}
