/**
 * Every way the codec refuses input, with a stable code. Callers count and log by code;
 * docs/ERRORS.md documents each one and a test keeps the two in step.
 */
export const RadiusErrorCode = {
  /** The datagram is shorter than the 20-byte header. */
  TooShort: 'RADGATE_RADIUS_TOO_SHORT',
  /** The Length field is below 20. */
  LengthTooSmall: 'RADGATE_RADIUS_LENGTH_TOO_SMALL',
  /** The Length field is above 4096. */
  LengthTooLarge: 'RADGATE_RADIUS_LENGTH_TOO_LARGE',
  /** The Length field claims more bytes than the datagram holds. */
  LengthExceedsDatagram: 'RADGATE_RADIUS_LENGTH_EXCEEDS_DATAGRAM',
  /** A single byte is left where an attribute header (type, length) should be. */
  AttributeTruncated: 'RADGATE_RADIUS_ATTRIBUTE_TRUNCATED',
  /** An attribute's length octet is 0 or 1. */
  AttributeLengthTooSmall: 'RADGATE_RADIUS_ATTRIBUTE_LENGTH_TOO_SMALL',
  /** An attribute runs past the end of the packet. */
  AttributeOverflow: 'RADGATE_RADIUS_ATTRIBUTE_OVERFLOW',
  /** Attribute type 0 is reserved. */
  AttributeTypeZero: 'RADGATE_RADIUS_ATTRIBUTE_TYPE_ZERO',
  /** More than 200 attributes. */
  TooManyAttributes: 'RADGATE_RADIUS_TOO_MANY_ATTRIBUTES',
  /** Message-Authenticator whose length is not exactly 18. */
  MessageAuthenticatorLength: 'RADGATE_RADIUS_MESSAGE_AUTHENTICATOR_LENGTH',
  /** More than one Message-Authenticator. */
  MessageAuthenticatorDuplicate: 'RADGATE_RADIUS_MESSAGE_AUTHENTICATOR_DUPLICATE',
  /** User-Password not a multiple of 16 octets, empty, or longer than 128. */
  UserPasswordLength: 'RADGATE_RADIUS_USER_PASSWORD_LENGTH',
  /** A request needed a Message-Authenticator and had none. */
  MessageAuthenticatorMissing: 'RADGATE_RADIUS_MESSAGE_AUTHENTICATOR_MISSING',
  /** The Message-Authenticator HMAC does not match (wrong secret or tampering). */
  MessageAuthenticatorInvalid: 'RADGATE_RADIUS_MESSAGE_AUTHENTICATOR_INVALID',
  /** Proxy-State without Message-Authenticator: the BlastRADIUS pattern. */
  ProxyStateWithoutMessageAuthenticator: 'RADGATE_RADIUS_PROXY_STATE_WITHOUT_MESSAGE_AUTHENTICATOR',
  /** A reply's Response Authenticator does not match its request. */
  ResponseAuthenticatorInvalid: 'RADGATE_RADIUS_RESPONSE_AUTHENTICATOR_INVALID',
  /** A value cannot be encoded (too long, wrong type for the attribute, unknown name). */
  EncodeInvalid: 'RADGATE_RADIUS_ENCODE_INVALID',
  /** A dictionary file cannot be read or has a malformed line. */
  Dictionary: 'RADGATE_RADIUS_DICTIONARY',
} as const;
export type RadiusErrorCode = (typeof RadiusErrorCode)[keyof typeof RadiusErrorCode];

export class RadiusError extends Error {
  override readonly name = 'RadiusError';
  constructor(
    readonly code: RadiusErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A dictionary problem names the file and line so the admin can fix it. */
export class DictionaryError extends RadiusError {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | undefined,
  ) {
    super(RadiusErrorCode.Dictionary, line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`);
  }
}
