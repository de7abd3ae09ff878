import type { Actor } from '../admin/admin-audit.js';
import type { IssueRequest, CodePurpose } from '../admin/code-issuing.js';
import type { CredentialService } from '../admin/credential-service.js';
import { maskMobile } from '../credentials/mobile-number.js';
import { SmsDeliveryError } from '../sms/sms-error.js';
import type { SmsSender } from '../sms/sms-sender.js';

/** An authorization code that went out by SMS: what may be shown of it (never the code). */
export interface SentCode {
  readonly id: string;
  /** The number it went to, masked. */
  readonly to: string;
  readonly expiresAt: string;
}

/**
 * Issues one online authorization code and sends it by SMS: for `code issue --send-sms` and
 * the self-service pages alike. A code that could not be delivered is revoked at once (and
 * the revocation audited): nobody has it, and nobody should find it working later. The
 * delivery's SmsDeliveryError is then thrown on.
 */
export async function issueCodeBySms(options: {
  readonly service: CredentialService;
  readonly sender: SmsSender;
  readonly user: string;
  readonly number: string;
  readonly request: IssueRequest;
  readonly actor: Actor;
  readonly purpose: CodePurpose;
}): Promise<SentCode> {
  const { service, sender, user, number, actor } = options;
  const [issued] = await service.issueCodes(user, { ...options.request, count: 1 }, actor, options.purpose);
  try {
    await sender.sendCode(number, { code: issued!.code, expiresAt: new Date(issued!.expiresAt) });
  } catch (error) {
    const id = issued!.id;
    // A store failing now must not hide the delivery's failure, nor pass for "no code issued".
    const revoked = await service.revokeCodes(user, { id }, { ...actor, reason: 'the SMS was not delivered' }).then(
      () => true,
      () => false,
    );
    const what = revoked ? `code ${id} was revoked` : `code ${id} could NOT be revoked (the store failed): revoke it with radgate code revoke USER --id ${id}`;
    throw error instanceof SmsDeliveryError ? new SmsDeliveryError(error.provider, `${error.reason}; ${what}`, error.scope) : error;
  }
  return { id: issued!.id, to: maskMobile(number), expiresAt: issued!.expiresAt };
}
