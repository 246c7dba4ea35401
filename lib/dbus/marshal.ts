// The D-Bus wire format of the values our calls pass and read: the basic types y b i u s o g,
// arrays (`a` + one complete type) and structs (`(...)`), as the specification lays them out:
// every value starts at a multiple of its own alignment counted from the start of the message
// (1 for y and g; 4 for b, i, u, s, o and an array's length; 8 for a struct), an array is its
// byte length (uint32, without the padding after it) and then its elements, padded to the
// element's alignment even when there are none. Written little-endian; read either way.
// Variants and dict entries are not spoken: no call we make needs them.

/** A basic value: a string (s o g), a number (y i u) or a boolean (b). */
export type DbusBasicValue = string | number | boolean;

/** A value of any type spoken here: `ay` as bytes (or a list of numbers), an array as a list, a struct as its fields in order. */
export type DbusValue = DbusBasicValue | Uint8Array | readonly DbusValue[];

const BASIC_TYPES = 'ybiusog';
const MAX_SIGNATURE_LENGTH = 255;
const MAX_NESTING = 32;
/** The specification's limit on an array's byte length (64 MiB). */
const MAX_ARRAY_LENGTH = 2 ** 26;

function badSignature(signature: string, problem: string): TypeError {
  return new TypeError(`invalid D-Bus signature '${signature}': ${problem}`);
}

/** Where the complete type that starts at `start` ends (exclusive). */
function completeTypeEnd(signature: string, start: number, arrays = 0, structs = 0): number {
  const code = signature[start];
  if (code === undefined) throw badSignature(signature, 'a complete type is missing at its end');
  if (BASIC_TYPES.includes(code)) return start + 1;
  if (code === 'a') {
    if (arrays >= MAX_NESTING) throw badSignature(signature, `arrays nested deeper than ${MAX_NESTING}`);
    return completeTypeEnd(signature, start + 1, arrays + 1, structs);
  }
  if (code === '(') {
    if (structs >= MAX_NESTING) throw badSignature(signature, `structs nested deeper than ${MAX_NESTING}`);
    let at = start + 1;
    if (signature[at] === ')') throw badSignature(signature, 'an empty struct');
    while (signature[at] !== ')') at = completeTypeEnd(signature, at, arrays, structs + 1);
    return at + 1;
  }
  throw badSignature(signature, `type '${code}' is not spoken here`);
}

/** The complete types of a signature in order: `ia(iay)` → `i`, `a(iay)`. */
export function completeTypes(signature: string): string[] {
  if (signature.length > MAX_SIGNATURE_LENGTH) throw badSignature(signature.slice(0, 32), 'longer than 255 bytes');
  const types: string[] = [];
  for (let at = 0; at < signature.length; ) {
    const end = completeTypeEnd(signature, at);
    types.push(signature.slice(at, end));
    at = end;
  }
  return types;
}

/** The fields of a struct type: `(iay)` → `i`, `ay`. */
function structFields(type: string): string[] {
  return completeTypes(type.slice(1, -1));
}

function alignmentOf(type: string): number {
  switch (type[0]) {
    case 'y':
    case 'g':
      return 1;
    case '(':
      return 8;
    default:
      return 4; // b i u s o, and an array's length
  }
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

function integerIn(type: string, value: DbusValue, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`D-Bus type '${type}' takes an integer from ${min} to ${max}, not ${String(value)}`);
  }
  return value;
}

export class Writer {
  private buffer = Buffer.alloc(256);
  /** Bytes written; alignment counts from the first, as a header and a body both start 8-aligned. */
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const bigger = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }

  align(boundary: number): void {
    while (this.length % boundary !== 0) this.byte(0);
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  uint32(value: number): void {
    this.align(4);
    this.ensure(4);
    this.buffer.writeUInt32LE(value, this.length);
    this.length += 4;
  }

  int32(value: number): void {
    this.align(4);
    this.ensure(4);
    this.buffer.writeInt32LE(value, this.length);
    this.length += 4;
  }

  patchUint32(at: number, value: number): void {
    this.buffer.writeUInt32LE(value, at);
  }

  private textBytes(text: string): Buffer {
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.includes(0)) throw new TypeError('D-Bus strings cannot contain NUL');
    return bytes;
  }

  string(text: string): void {
    const bytes = this.textBytes(text);
    this.uint32(bytes.length);
    this.raw(bytes);
    this.byte(0);
  }

  signature(text: string): void {
    const bytes = this.textBytes(text);
    if (bytes.length > MAX_SIGNATURE_LENGTH) throw badSignature(text.slice(0, 32), 'longer than 255 bytes');
    this.byte(bytes.length);
    this.raw(bytes);
    this.byte(0);
  }

  private raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  basic(type: string, value: DbusValue): void {
    if (typeof value === 'object') throw new TypeError(`D-Bus type '${type}' takes a basic value, not a list`);
    switch (type) {
      case 's':
      case 'o':
        return this.string(String(value));
      case 'g':
        return this.signature(String(value));
      case 'b':
        return this.uint32(value ? 1 : 0);
      case 'y':
        return this.byte(integerIn(type, value, 0, 255));
      case 'u':
        return this.uint32(integerIn(type, value, 0, 2 ** 32 - 1));
      case 'i':
        return this.int32(integerIn(type, value, INT32.min, INT32.max));
      default:
        throw new TypeError(`unsupported D-Bus type '${type}'`);
    }
  }

  /** One value of a complete type. */
  value(type: string, value: DbusValue): void {
    if (type[0] === 'a') return this.array(type.slice(1), value);
    if (type[0] === '(') return this.struct(structFields(type), value);
    return this.basic(type, value);
  }

  private array(element: string, value: DbusValue): void {
    const bytes = element === 'y' && value instanceof Uint8Array;
    if (!bytes && !Array.isArray(value)) throw new TypeError(`D-Bus type 'a${element}' takes a list, not ${String(value)}`);
    this.uint32(0);
    const lengthAt = this.length - 4;
    this.align(alignmentOf(element));
    const start = this.length;
    if (bytes) this.raw(value);
    else for (const item of value as readonly DbusValue[]) this.value(element, item);
    const length = this.length - start;
    if (length > MAX_ARRAY_LENGTH) throw new TypeError(`D-Bus array of ${length} bytes: more than the 64 MiB the specification allows`);
    this.patchUint32(lengthAt, length);
  }

  private struct(fields: readonly string[], value: DbusValue): void {
    if (!Array.isArray(value) || value.length !== fields.length) {
      throw new TypeError(`D-Bus struct (${fields.join('')}) takes a list of ${fields.length} fields`);
    }
    this.align(8);
    fields.forEach((field, i) => this.value(field, value[i] as DbusValue));
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** The values of `signature` laid out as a message body (which starts 8-aligned). */
export function marshal(signature: string, values: readonly DbusValue[]): Buffer {
  const types = completeTypes(signature);
  if (types.length !== values.length) throw new TypeError(`signature '${signature}' does not match ${values.length} arguments`);
  const body = new Writer();
  types.forEach((type, i) => body.value(type, values[i] as DbusValue));
  return body.result();
}

export class Reader {
  constructor(
    private readonly buffer: Buffer,
    private readonly littleEndian: boolean,
    public position: number,
    /** Where the message starts in `buffer`: alignment counts from there. */
    private readonly origin = 0,
  ) {}

  align(boundary: number): void {
    this.position = this.origin + Math.ceil((this.position - this.origin) / boundary) * boundary;
  }

  private need(bytes: number): void {
    if (this.position + bytes > this.buffer.length) throw new RangeError('D-Bus message ends inside a value');
  }

  byte(): number {
    this.need(1);
    const value = this.buffer.readUInt8(this.position);
    this.position += 1;
    return value;
  }

  uint32(): number {
    this.align(4);
    this.need(4);
    const value = this.littleEndian ? this.buffer.readUInt32LE(this.position) : this.buffer.readUInt32BE(this.position);
    this.position += 4;
    return value;
  }

  int32(): number {
    this.align(4);
    this.need(4);
    const value = this.littleEndian ? this.buffer.readInt32LE(this.position) : this.buffer.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  private text(length: number): string {
    this.need(length + 1);
    const value = this.buffer.toString('utf8', this.position, this.position + length);
    this.position += length + 1; // and the NUL
    return value;
  }

  string(): string {
    return this.text(this.uint32());
  }

  signature(): string {
    return this.text(this.byte());
  }

  basic(type: string): DbusBasicValue {
    switch (type) {
      case 's':
      case 'o':
        return this.string();
      case 'g':
        return this.signature();
      case 'b':
        return this.uint32() !== 0;
      case 'y':
        return this.byte();
      case 'u':
        return this.uint32();
      case 'i':
        return this.int32();
      default:
        throw new TypeError(`unsupported D-Bus type '${type}'`);
    }
  }

  /** One value of a complete type; `ay` comes back as bytes. */
  value(type: string): DbusValue {
    if (type[0] === 'a') return this.array(type.slice(1));
    if (type[0] === '(') {
      this.align(8);
      return structFields(type).map((field) => this.value(field));
    }
    return this.basic(type);
  }

  private array(element: string): DbusValue {
    const length = this.uint32();
    if (length > MAX_ARRAY_LENGTH) throw new RangeError(`D-Bus array of ${length} bytes: more than the 64 MiB the specification allows`);
    this.align(alignmentOf(element));
    this.need(length);
    const end = this.position + length;
    if (element === 'y') {
      const bytes = Uint8Array.from(this.buffer.subarray(this.position, end));
      this.position = end;
      return bytes;
    }
    const items: DbusValue[] = [];
    while (this.position < end) items.push(this.value(element));
    if (this.position !== end) throw new RangeError('D-Bus array elements overrun its length');
    return items;
  }
}

/** The values of `signature` in a body laid out from `start` of `buffer` (a message's start, or its body's: both 8-aligned). */
export function unmarshal(signature: string, buffer: Buffer, options: { start?: number; littleEndian?: boolean } = {}): DbusValue[] {
  const start = options.start ?? 0;
  const reader = new Reader(buffer, options.littleEndian ?? true, start, start);
  return completeTypes(signature).map((type) => reader.value(type));
}
