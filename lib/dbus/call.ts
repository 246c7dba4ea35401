// Just enough of the D-Bus wire protocol to make one method call on the system bus and
// read its reply: EXTERNAL authentication, Hello, the call, arguments and replies of the
// basic types (s o g b y u i). networkd is driven through D-Bus only (networkctl does the
// same); talking to the socket from this process costs a few milliseconds, spawning busctl
// or networkctl 3-4 times that (measured in test/e2e/networkd.test.ts). One connection per
// call; nothing stays open.

import { createConnection } from 'node:net';
import { Failure } from '../system/failure.js';

export const systemBusSocket = '/run/dbus/system_bus_socket';

export type DbusBasicValue = string | number | boolean;

export interface DbusMethodCall {
  destination: string;
  path: string;
  interface: string;
  member: string;
  /** Signature of `args`, basic types only (e.g. `s`, `su`). */
  signature?: string;
  args?: readonly DbusBasicValue[];
  /** Fail with ServiceUnknown instead of starting the destination through bus activation. */
  noAutoStart?: boolean;
}

export interface DbusCallOptions {
  /** Path of the bus socket; default: from DBUS_SYSTEM_BUS_ADDRESS, else the standard path. */
  socketPath?: string;
  timeoutMs: number;
}

export const DbusErrorName = {
  Timeout: 'org.freedesktop.DBus.Error.Timeout',
  NoReply: 'org.freedesktop.DBus.Error.NoReply',
  NoServer: 'org.freedesktop.DBus.Error.NoServer',
  AuthFailed: 'org.freedesktop.DBus.Error.AuthFailed',
  Disconnected: 'org.freedesktop.DBus.Error.Disconnected',
  ServiceUnknown: 'org.freedesktop.DBus.Error.ServiceUnknown',
  NameHasNoOwner: 'org.freedesktop.DBus.Error.NameHasNoOwner',
} as const;

/**
 * - `timeout`: no reply in time (Timeout, NoReply)
 * - `unreachable`: no bus, or the service is not on it now (NoServer, Disconnected, ServiceUnknown,
 *   NameHasNoOwner): gone when it (re)starts
 * - `failed`: authentication failed, or the peer replied with any other error
 */
export type DbusReason = 'timeout' | 'unreachable' | 'failed';

declare module '../system/failure.js' {
  interface FailureReasons {
    dbus: DbusReason;
  }
}

const reasonByName: Readonly<Record<string, DbusReason>> = {
  [DbusErrorName.Timeout]: 'timeout',
  [DbusErrorName.NoReply]: 'timeout',
  [DbusErrorName.NoServer]: 'unreachable',
  [DbusErrorName.Disconnected]: 'unreachable',
  [DbusErrorName.ServiceUnknown]: 'unreachable',
  [DbusErrorName.NameHasNoOwner]: 'unreachable',
};

/** A failed call: the error the peer replied with, or a local one under the same names sd-bus uses. */
export class DbusError extends Failure<'dbus', DbusReason> {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super('dbus', reasonByName[errorName] ?? 'failed', message, `${errorName}: ${message}`);
    this.name = 'DbusError';
  }
}

const MessageType = { MethodCall: 1, MethodReturn: 2, Error: 3 } as const;

const HeaderField = { Path: 1, Interface: 2, Member: 3, ErrorName: 4, ReplySerial: 5, Destination: 6, Signature: 8 } as const;

const flagNoAutoStart = 0x2;
const fixedHeaderLength = 16;

/** The unix socket path in DBUS_SYSTEM_BUS_ADDRESS (`unix:path=...`), else the standard one. */
export function systemBusSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  for (const address of (env.DBUS_SYSTEM_BUS_ADDRESS ?? '').split(';')) {
    if (!address.startsWith('unix:')) continue;
    const path = address
      .slice('unix:'.length)
      .split(',')
      .find((part) => part.startsWith('path='));
    if (path) return decodeURIComponent(path.slice('path='.length));
  }
  return systemBusSocket;
}

// ---- marshalling ----

class Writer {
  private buffer = Buffer.alloc(256);
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

  private bytes(text: string): Buffer {
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.includes(0)) throw new TypeError('D-Bus strings cannot contain NUL');
    return bytes;
  }

  string(text: string): void {
    const bytes = this.bytes(text);
    this.uint32(bytes.length);
    this.raw(bytes);
    this.byte(0);
  }

  signature(text: string): void {
    const bytes = this.bytes(text);
    this.byte(bytes.length);
    this.raw(bytes);
    this.byte(0);
  }

  private raw(bytes: Buffer): void {
    this.ensure(bytes.length);
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }

  basic(type: string, value: DbusBasicValue): void {
    switch (type) {
      case 's':
      case 'o':
        return this.string(String(value));
      case 'g':
        return this.signature(String(value));
      case 'b':
        return this.uint32(value ? 1 : 0);
      case 'y':
        return this.byte(Number(value));
      case 'u':
        return this.uint32(Number(value));
      case 'i':
        return this.int32(Number(value));
      default:
        throw new TypeError(`unsupported D-Bus type '${type}'`);
    }
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

function encodeCall(call: DbusMethodCall, serial: number): Buffer {
  const signature = call.signature ?? '';
  const args = call.args ?? [];
  if (signature.length !== args.length) throw new TypeError(`signature '${signature}' does not match ${args.length} arguments`);
  const body = new Writer();
  [...signature].forEach((type, i) => body.basic(type, args[i] as DbusBasicValue));

  const fields: [number, string, string][] = [
    [HeaderField.Path, 'o', call.path],
    [HeaderField.Interface, 's', call.interface],
    [HeaderField.Member, 's', call.member],
    [HeaderField.Destination, 's', call.destination],
  ];
  if (signature) fields.push([HeaderField.Signature, 'g', signature]);

  const header = new Writer();
  header.byte('l'.charCodeAt(0)); // little endian
  header.byte(MessageType.MethodCall);
  header.byte(call.noAutoStart ? flagNoAutoStart : 0);
  header.byte(1); // protocol version
  header.uint32(body.length);
  header.uint32(serial);
  const arrayLengthAt = header.length;
  header.uint32(0);
  header.align(8);
  const arrayStart = header.length;
  for (const [code, type, value] of fields) {
    header.align(8);
    header.byte(code);
    header.signature(type);
    header.basic(type, value);
  }
  header.patchUint32(arrayLengthAt, header.length - arrayStart);
  header.align(8);
  return Buffer.concat([header.result(), body.result()]);
}

// ---- unmarshalling ----

class Reader {
  constructor(
    private readonly buffer: Buffer,
    private readonly littleEndian: boolean,
    public position: number,
  ) {}

  align(boundary: number): void {
    this.position = Math.ceil(this.position / boundary) * boundary;
  }

  byte(): number {
    const value = this.buffer.readUInt8(this.position);
    this.position += 1;
    return value;
  }

  uint32(): number {
    this.align(4);
    const value = this.littleEndian ? this.buffer.readUInt32LE(this.position) : this.buffer.readUInt32BE(this.position);
    this.position += 4;
    return value;
  }

  int32(): number {
    this.align(4);
    const value = this.littleEndian ? this.buffer.readInt32LE(this.position) : this.buffer.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  private text(length: number): string {
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
}

interface Message {
  type: number;
  replySerial: number | undefined;
  errorName: string | undefined;
  signature: string;
  bodyStart: number;
  littleEndian: boolean;
  raw: Buffer;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** Total length of the message at the start of `buffer`, once its fixed header is there. */
function messageLength(buffer: Buffer): number | undefined {
  if (buffer.length < fixedHeaderLength) return undefined;
  const littleEndian = buffer[0] === 'l'.charCodeAt(0);
  const bodyLength = littleEndian ? buffer.readUInt32LE(4) : buffer.readUInt32BE(4);
  const fieldsLength = littleEndian ? buffer.readUInt32LE(12) : buffer.readUInt32BE(12);
  return align8(fixedHeaderLength + fieldsLength) + bodyLength;
}

function decodeMessage(raw: Buffer): Message {
  const littleEndian = raw[0] === 'l'.charCodeAt(0);
  const reader = new Reader(raw, littleEndian, 12);
  const fieldsEnd = fixedHeaderLength + reader.uint32();
  const message: Message = {
    type: raw[1] ?? 0,
    replySerial: undefined,
    errorName: undefined,
    signature: '',
    bodyStart: align8(fieldsEnd),
    littleEndian,
    raw,
  };
  while (reader.position < fieldsEnd) {
    reader.align(8);
    const code = reader.byte();
    const value = reader.basic(reader.signature());
    if (code === HeaderField.ReplySerial) message.replySerial = Number(value);
    else if (code === HeaderField.ErrorName) message.errorName = String(value);
    else if (code === HeaderField.Signature) message.signature = String(value);
  }
  return message;
}

function decodeBody(message: Message): DbusBasicValue[] {
  const reader = new Reader(message.raw, message.littleEndian, message.bodyStart);
  return [...message.signature].map((type) => reader.basic(type));
}

function replyError(message: Message): DbusError {
  const [text] = message.signature.startsWith('s') ? decodeBody({ ...message, signature: 's' }) : [];
  const name = message.errorName ?? 'org.freedesktop.DBus.Error.Failed';
  return new DbusError(name, typeof text === 'string' && text !== '' ? text : name);
}

// ---- the call ----

const helloCall: DbusMethodCall = {
  destination: 'org.freedesktop.DBus',
  path: '/org/freedesktop/DBus',
  interface: 'org.freedesktop.DBus',
  member: 'Hello',
};

function authLine(): Buffer {
  const uid = String(process.getuid?.() ?? 0);
  return Buffer.from(`\0AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\n`, 'latin1');
}

/** Call one method on the system bus; resolves with the reply's arguments. */
export function callMethod(call: DbusMethodCall, options: DbusCallOptions): Promise<DbusBasicValue[]> {
  const helloSerial = 1;
  const callSerial = 2;
  const socketPath = options.socketPath ?? systemBusSocketPath();

  return new Promise((resolve, reject) => {
    // Thrown here (bad arguments), an error rejects the promise before any connection is made.
    const request = Buffer.concat([Buffer.from('BEGIN\r\n'), encodeCall(helloCall, helloSerial), encodeCall(call, callSerial)]);
    const socket = createConnection({ path: socketPath });
    let pending: Buffer = Buffer.alloc(0);
    let authenticated = false;
    let settled = false;

    const finish = (error: Error | undefined, values?: DbusBasicValue[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(values ?? []);
    };
    const timer = setTimeout(
      () => finish(new DbusError(DbusErrorName.Timeout, `no reply to ${call.interface}.${call.member} within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );

    const authenticate = (): boolean => {
      const end = pending.indexOf('\r\n');
      if (end < 0) return false;
      const line = pending.subarray(0, end).toString('latin1');
      pending = pending.subarray(end + 2);
      if (!line.startsWith('OK ')) {
        finish(new DbusError(DbusErrorName.AuthFailed, `D-Bus authentication failed: ${line}`));
        return false;
      }
      authenticated = true;
      socket.write(request);
      return true;
    };

    const handleMessage = (message: Message) => {
      if (message.replySerial === helloSerial && message.type === MessageType.Error) finish(replyError(message));
      if (message.replySerial !== callSerial) return; // Hello's reply, NameAcquired
      if (message.type === MessageType.Error) finish(replyError(message));
      else if (message.type === MessageType.MethodReturn) finish(undefined, decodeBody(message));
    };

    let connected = false;
    socket.on('connect', () => {
      connected = true;
      socket.write(authLine());
    });
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      if (!authenticated && !authenticate()) return;
      for (let length = messageLength(pending); length !== undefined && pending.length >= length; length = messageLength(pending)) {
        const raw = pending.subarray(0, length);
        pending = pending.subarray(length);
        try {
          handleMessage(decodeMessage(raw));
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
        if (settled) return;
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code ?? error.message;
      if (connected) finish(new DbusError(DbusErrorName.Disconnected, `system bus connection failed: ${reason}`));
      else finish(new DbusError(DbusErrorName.NoServer, `cannot connect to the system bus at ${socketPath}: ${reason}`));
    });
    socket.on('close', () => finish(new DbusError(DbusErrorName.Disconnected, 'the system bus closed the connection before replying')));
  });
}
