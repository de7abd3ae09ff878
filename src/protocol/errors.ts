/**
 * Every way the codec refuses input, with a stable code. Callers count and log by code;
 * docs/ERRORS.md documents each one and a test keeps the two in step.
 */
export const RadiusErrorCode = {
  /** The datagram is shorter than the 20-byte header. */
  TooShort: 'RADIUS_ERR_TOO_SHORT',
  /** The Length field is below 20. */
  LengthTooSmall: 'RADIUS_ERR_LENGTH_TOO_SMALL',
  /** The Length field is above 4096. */
  LengthTooLarge: 'RADIUS_ERR_LENGTH_TOO_LARGE',
  /** The Length field claims more bytes than the datagram holds. */
  LengthExceedsDatagram: 'RADIUS_ERR_LENGTH_EXCEEDS_DATAGRAM',
  /** A single byte is left where an attribute header (type, length) should be. */
  AttributeTruncated: 'RADIUS_ERR_ATTRIBUTE_TRUNCATED',
  /** An attribute's length octet is 0 or 1. */
  AttributeLengthTooSmall: 'RADIUS_ERR_ATTRIBUTE_LENGTH_TOO_SMALL',
  /** An attribute runs past the end of the packet. */
  AttributeOverflow: 'RADIUS_ERR_ATTRIBUTE_OVERFLOW',
  /** Attribute type 0 is reserved. */
  AttributeTypeZero: 'RADIUS_ERR_ATTRIBUTE_TYPE_ZERO',
  /** More than 200 attributes. */
  TooManyAttributes: 'RADIUS_ERR_TOO_MANY_ATTRIBUTES',
  /** Message-Authenticator whose length is not exactly 18. */
  MessageAuthenticatorLength: 'RADIUS_ERR_MESSAGE_AUTHENTICATOR_LENGTH',
  /** More than one Message-Authenticator. */
  MessageAuthenticatorDuplicate: 'RADIUS_ERR_MESSAGE_AUTHENTICATOR_DUPLICATE',
  /** User-Password not a multiple of 16 octets, empty, or longer than 128. */
  UserPasswordLength: 'RADIUS_ERR_USER_PASSWORD_LENGTH',
  /** A request needed a Message-Authenticator and had none. */
  MessageAuthenticatorMissing: 'RADIUS_ERR_MESSAGE_AUTHENTICATOR_MISSING',
  /** The Message-Authenticator HMAC does not match (wrong secret or tampering). */
  MessageAuthenticatorInvalid: 'RADIUS_ERR_MESSAGE_AUTHENTICATOR_INVALID',
  /** Proxy-State without Message-Authenticator: the BlastRADIUS pattern. */
  ProxyStateWithoutMessageAuthenticator: 'RADIUS_ERR_PROXY_STATE_WITHOUT_MESSAGE_AUTHENTICATOR',
  /** A reply's Response Authenticator does not match its request. */
  ResponseAuthenticatorInvalid: 'RADIUS_ERR_RESPONSE_AUTHENTICATOR_INVALID',
  /** A value cannot be encoded (too long, wrong type for the attribute, unknown name). */
  EncodeInvalid: 'RADIUS_ERR_ENCODE_INVALID',
  /** A dictionary file cannot be read or has a malformed line. */
  Dictionary: 'RADIUS_ERR_DICTIONARY',
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
