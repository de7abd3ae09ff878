import type { RepliesConfig, ReplyAttributeConfig } from '../config/types.js';
import { encodeAttribute, requireAttribute } from '../protocol/dictionary/attributes.js';
import type { Dictionary } from '../protocol/dictionary/dictionary.js';
import type { ReplyAttribute } from '../transport/handler.js';
import type { Method } from './decision.js';

/**
 * Reply attributes per login method, encoded once at start-up: a reply then costs a copy,
 * not a dictionary lookup. Encrypted attributes (Tunnel-Password) depend on each request's
 * authenticator, so they stay by name and the server encodes them per reply.
 */
export class ReplyProfiles {
  private readonly byMethod: ReadonlyMap<Method, readonly ReplyAttribute[]>;

  constructor(config: RepliesConfig, dictionary: Dictionary) {
    const prepare = (attributes: readonly ReplyAttributeConfig[]): ReplyAttribute[] =>
      attributes.map((attribute) =>
        requireAttribute(dictionary, attribute.name).encrypt !== 0 ? attribute : encodeAttribute(dictionary, attribute),
      );
    const emergency = prepare(config.emergency);
    this.byMethod = new Map<Method, readonly ReplyAttribute[]>([
      ['token', prepare(config.token)],
      ['emergency-tokencode', config.emergencyTokencode === undefined ? emergency : prepare(config.emergencyTokencode)],
      ['emergency-passcode', config.emergencyPasscode === undefined ? emergency : prepare(config.emergencyPasscode)],
      ['online-authcode', config.onlineAuthcode === undefined ? emergency : prepare(config.onlineAuthcode)],
    ]);
  }

  forMethod(method: Method): readonly ReplyAttribute[] {
    return this.byMethod.get(method) ?? [];
  }
}
