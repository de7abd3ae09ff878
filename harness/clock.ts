/** A clock a test can move: `clock.now` is read by every component given `clock.read`. */
export class TestClock {
  constructor(public now: number = Date.now()) {}
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}
