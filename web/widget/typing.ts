/**
 * The resident's typing signal, throttled as the contract asks: `true` at most every 3 s while keys are pressed
 * (so the agent's indicator stays lit through a long message), `false` once after 5 s without a key, or at once
 * when the message is sent.
 */
export const TYPING_REPEAT_MS = 3000;
export const TYPING_IDLE_MS = 5000;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export class TypingSignal {
  private lastTrue = -Infinity;
  private on = false;
  private idle: unknown;

  constructor(
    private readonly send: (typing: boolean) => void,
    private readonly clock: Clock,
  ) {}

  /** A key was pressed in the message box. */
  keystroke(): void {
    const now = this.clock.now();
    if (!this.on || now - this.lastTrue >= TYPING_REPEAT_MS) {
      this.on = true;
      this.lastTrue = now;
      this.send(true);
    }
    this.clock.clearTimeout(this.idle);
    this.idle = this.clock.setTimeout(() => this.stop(), TYPING_IDLE_MS);
  }

  /** Sent, emptied or idle: `false`, once. */
  stop(): void {
    this.clock.clearTimeout(this.idle);
    this.idle = undefined;
    if (!this.on) return;
    this.on = false;
    this.lastTrue = -Infinity;
    this.send(false);
  }
}
