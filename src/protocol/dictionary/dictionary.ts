import { DictionaryError } from '../errors.js';

/** The value types a dictionary may declare (FreeRADIUS names). */
export const DATA_TYPES = [
  'string',
  'octets',
  'ipaddr',
  'ipv6addr',
  'ipv6prefix',
  'ipv4prefix',
  'integer',
  'date',
  'integer64',
  'byte',
  'short',
  'ifid',
  'vsa',
] as const;
export type DataType = (typeof DATA_TYPES)[number];

/** 0: none; 1: User-Password hiding (RFC 2865 §5.2); 2: Tunnel-Password salt (RFC 2868 §3.5). */
export type EncryptMethod = 0 | 1 | 2;

export interface VendorDefinition {
  readonly name: string;
  readonly id: number;
  /** Octets of the vendor attribute's type field (FreeRADIUS `format=T,L`). */
  readonly typeOctets: 1 | 2 | 4;
  /** Octets of the vendor attribute's length field. */
  readonly lengthOctets: 0 | 1 | 2;
}

export interface AttributeDefinition {
  readonly name: string;
  /** 0 for attributes of the RADIUS standard, the IANA enterprise number otherwise. */
  readonly vendorId: number;
  readonly type: number;
  readonly dataType: DataType;
  readonly hasTag: boolean;
  readonly encrypt: EncryptMethod;
  readonly concat: boolean;
  /** VALUE names, keyed by lower-case name. */
  readonly valuesByName: ReadonlyMap<string, number>;
  readonly namesByValue: ReadonlyMap<number, string>;
}

interface MutableAttribute extends AttributeDefinition {
  readonly valuesByName: Map<string, number>;
  readonly namesByValue: Map<number, string>;
}

/** Where a definition came from, for error messages. */
export interface SourceLine {
  readonly file: string;
  readonly line: number;
}

/**
 * The attribute and vendor tables. Built once at start-up by the loader, read-only after.
 * Names are looked up case-insensitively, as FreeRADIUS does.
 */
export class Dictionary {
  private readonly attributesByName = new Map<string, MutableAttribute>();
  /** vendor id → attribute number → definition (vendor 0 is the standard space). */
  private readonly attributesByCode = new Map<number, Map<number, MutableAttribute>>();
  private readonly vendorsByName = new Map<string, VendorDefinition>();
  private readonly vendorsById = new Map<number, VendorDefinition>();

  attributeByName(name: string): AttributeDefinition | undefined {
    return this.attributesByName.get(name.toLowerCase());
  }

  attribute(vendorId: number, type: number): AttributeDefinition | undefined {
    return this.attributesByCode.get(vendorId)?.get(type);
  }

  vendorByName(name: string): VendorDefinition | undefined {
    return this.vendorsByName.get(name.toLowerCase());
  }

  vendor(id: number): VendorDefinition | undefined {
    return this.vendorsById.get(id);
  }

  get attributeCount(): number {
    return this.attributesByName.size;
  }

  get vendorCount(): number {
    return this.vendorsById.size;
  }

  addVendor(vendor: VendorDefinition, at: SourceLine): void {
    const byName = this.vendorsByName.get(vendor.name.toLowerCase());
    const byId = this.vendorsById.get(vendor.id);
    if (byName !== undefined || byId !== undefined) {
      const same = byName === byId && byName?.id === vendor.id && byName?.typeOctets === vendor.typeOctets;
      if (same) return; // The same VENDOR line in two files is harmless.
      throw new DictionaryError(`VENDOR ${vendor.name} ${vendor.id} conflicts with an earlier definition`, at.file, at.line);
    }
    this.vendorsByName.set(vendor.name.toLowerCase(), vendor);
    this.vendorsById.set(vendor.id, vendor);
  }

  addAttribute(definition: Omit<AttributeDefinition, 'valuesByName' | 'namesByValue'>, at: SourceLine): void {
    const key = definition.name.toLowerCase();
    const existing = this.attributesByName.get(key);
    if (existing !== undefined) {
      const same =
        existing.vendorId === definition.vendorId &&
        existing.type === definition.type &&
        existing.dataType === definition.dataType;
      if (same) return;
      throw new DictionaryError(`ATTRIBUTE ${definition.name} redefined with a different number or type`, at.file, at.line);
    }
    const attribute: MutableAttribute = { ...definition, valuesByName: new Map(), namesByValue: new Map() };
    this.attributesByName.set(key, attribute);
    let space = this.attributesByCode.get(definition.vendorId);
    if (space === undefined) this.attributesByCode.set(definition.vendorId, (space = new Map()));
    // Several names may share a number (aliases); decoding shows the first one defined.
    if (!space.has(definition.type)) space.set(definition.type, attribute);
  }

  addValue(attributeName: string, valueName: string, value: number, at: SourceLine): void {
    const attribute = this.attributesByName.get(attributeName.toLowerCase());
    if (attribute === undefined) {
      throw new DictionaryError(`VALUE for unknown attribute ${attributeName}`, at.file, at.line);
    }
    const key = valueName.toLowerCase();
    const existing = attribute.valuesByName.get(key);
    if (existing !== undefined && existing !== value) {
      throw new DictionaryError(`VALUE ${attributeName} ${valueName} redefined as ${value}`, at.file, at.line);
    }
    attribute.valuesByName.set(key, value);
    if (!attribute.namesByValue.has(value)) attribute.namesByValue.set(value, valueName);
  }
}
