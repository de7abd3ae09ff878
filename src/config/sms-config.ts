/** The `sms` section as the rest of radgate receives it (config/sms-checks.ts resolves it). */

export interface SmsWebhookConfig {
  readonly url: string;
  readonly method: 'POST' | 'PUT';
  /** Fixed headers (no secret belongs here: use the authorization file or variable). */
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType: string;
  /** The body template: `{number}` and `{message}`, escaped for the content type. */
  readonly body: string;
  /** The authorization header's name and value (from a file or the environment; never logged). */
  readonly authorization: { readonly header: string; readonly value: string } | undefined;
  readonly timeoutMs: number;
  readonly retries: number;
  /** PEM of a private CA to verify the gateway with; the system's CAs when undefined. */
  readonly ca: Buffer | undefined;
}

export interface SmsCommandConfig {
  /** Absolute path of the program; it reads the number and the message on stdin. */
  readonly path: string;
  readonly args: readonly string[];
  readonly timeoutMs: number;
}

export type SmsConfig =
  | { readonly provider: 'webhook'; readonly message: string; readonly webhook: SmsWebhookConfig }
  | { readonly provider: 'command'; readonly message: string; readonly command: SmsCommandConfig };
