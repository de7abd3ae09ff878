/**
 * The few entry points of the npm `radius` package (1.1.x, CommonJS, untyped) that the
 * interoperability test and bench/codec.ts use. Shapes follow its lib/radius.js.
 */
declare module 'radius' {
  namespace radius {
    type EncodeValue = string | number | Buffer | Date;
    /**
     * `[name, value]`, `[name, tag, value]` for a has_tag attribute, or
     * `['Vendor-Specific', vendorId, [[name, value], ...]]`.
     */
    type EncodeAttribute =
      | [string | number, EncodeValue]
      | [string | number, number, EncodeValue]
      | ['Vendor-Specific', number | string, EncodeAttribute[]];

    type DecodedValue = string | number | Buffer | Date | null | [number, string | number] | DecodedValue[] | { [name: string]: DecodedValue };

    interface DecodedPacket {
      code: string;
      identifier: number;
      length: number;
      authenticator: Buffer;
      attributes: Record<string, DecodedValue>;
      raw_attributes: [number, Buffer][];
    }

    interface EncodeArgs {
      code: string;
      secret: string | Buffer;
      identifier?: number;
      authenticator?: Buffer;
      attributes?: EncodeAttribute[];
      add_message_authenticator?: boolean;
    }

    interface Radius {
      /** A dictionary file or directory, read at the first encode/decode. */
      add_dictionary(path: string): void;
      encode(args: EncodeArgs): Buffer;
      decode(args: { packet: Buffer; secret: string | Buffer; no_secret?: boolean }): DecodedPacket;
      /** Copies Proxy-State from the request into `attributes` (mutating it) and signs the reply. */
      encode_response(args: { packet: DecodedPacket; code: string; secret: string | Buffer; attributes?: EncodeAttribute[] }): Buffer;
      verify_response(args: { request: Buffer; response: Buffer; secret: string | Buffer }): boolean;
    }
  }

  const radius: radius.Radius;
  export = radius;
}
