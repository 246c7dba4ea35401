// Just enough of the D-Bus protocol to make method calls on the system bus and read their
// replies: EXTERNAL authentication, Hello, the calls, their arguments and replies in the types
// marshal.ts speaks (basic types, arrays, structs). networkd and systemd-resolved are driven
// through D-Bus only (networkctl and resolvectl do the same); talking to the socket from this
// process costs a few milliseconds, spawning busctl or networkctl 3-4 times that (measured in
// test/e2e/networkd.test.ts). One connection per call, or per batch of calls sent together
// (`callMethods`); nothing stays open.

import { createConnection } from 'node:net';
import { Failure } from '../system/failure.js';
import { completeTypes, type DbusValue, marshal, Reader, unmarshal, Writer } from './marshal.js';

export type { DbusBasicValue, DbusValue } from './marshal.js';

export const systemBusSocket = '/run/dbus/system_bus_socket';

export interface DbusMethodCall {
  destination: string;
  path: string;
  interface: string;
  member: string;
  /** Signature of `args` (e.g. `s`, `su`, `ia(iay)`). */
  signature?: string;
  args?: readonly DbusValue[];
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

// ---- messages ----

function encodeCall(call: DbusMethodCall, serial: number): Buffer {
  const signature = call.signature ?? '';
  const body = marshal(signature, call.args ?? []);

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
  return Buffer.concat([header.result(), body]);
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
    const value = reader.value(reader.signature());
    if (code === HeaderField.ReplySerial) message.replySerial = Number(value);
    else if (code === HeaderField.ErrorName) message.errorName = String(value);
    else if (code === HeaderField.Signature) message.signature = String(value);
  }
  return message;
}

function decodeBody(message: Message): DbusValue[] {
  return unmarshal(message.signature, message.raw, { start: message.bodyStart, littleEndian: message.littleEndian });
}

function replyError(message: Message): DbusError {
  const [text] = completeTypes(message.signature)[0] === 's' ? decodeBody({ ...message, signature: 's' }) : [];
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
export async function callMethod(call: DbusMethodCall, options: DbusCallOptions): Promise<DbusValue[]> {
  const [values = []] = await callMethods([call], options);
  return values;
}

const helloSerial = 1;
const firstCallSerial = 2;

function describeCalls(calls: readonly DbusMethodCall[]): string {
  return calls.map((call) => `${call.interface}.${call.member}`).join(', ');
}

/**
 * Send `calls` together on one connection and resolve with each reply's arguments, in order.
 * The bus delivers them in order and a peer handles them in order; the first error reply
 * rejects the whole (later calls may have been carried out by then).
 */
export function callMethods(calls: readonly DbusMethodCall[], options: DbusCallOptions): Promise<DbusValue[][]> {
  const socketPath = options.socketPath ?? systemBusSocketPath();
  if (calls.length === 0) return Promise.resolve([]);

  return new Promise((resolve, reject) => {
    // Thrown here (bad arguments), an error rejects the promise before any connection is made.
    const request = Buffer.concat([
      Buffer.from('BEGIN\r\n'),
      encodeCall(helloCall, helloSerial),
      ...calls.map((call, i) => encodeCall(call, firstCallSerial + i)),
    ]);
    const replies: (DbusValue[] | undefined)[] = calls.map(() => undefined);
    let answered = 0;
    const socket = createConnection({ path: socketPath });
    let pending: Buffer = Buffer.alloc(0);
    let authenticated = false;
    let settled = false;

    const finish = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(replies.map((values) => values ?? []));
    };
    const timer = setTimeout(() => {
      const unanswered = calls.filter((_, i) => replies[i] === undefined);
      finish(new DbusError(DbusErrorName.Timeout, `no reply to ${describeCalls(unanswered)} within ${options.timeoutMs} ms`));
    }, options.timeoutMs);

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
      const index = (message.replySerial ?? 0) - firstCallSerial;
      if (index < 0 || index >= calls.length || replies[index] !== undefined) return; // Hello's reply, NameAcquired
      if (message.type === MessageType.Error) return finish(replyError(message));
      if (message.type !== MessageType.MethodReturn) return;
      replies[index] = decodeBody(message);
      if (++answered === calls.length) finish(undefined);
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
