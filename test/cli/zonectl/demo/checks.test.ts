import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, waitForTcp } from '../../../../cli/zonectl/demo/checks.js';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url === '/' ? 200 : 404;
    res.end('page');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('checks', () => {
  it('waits for a listening port, and gives up on a closed one', async () => {
    await waitForTcp('127.0.0.1', port, 1_000);
    await expect(waitForTcp('127.0.0.1', 1, 200)).rejects.toThrow('nothing answers on 127.0.0.1:1');
  });

  it('fetches a page; another status or no answer is an error naming the URL', async () => {
    expect(await httpGet(`http://127.0.0.1:${port}/`, 2_000)).toBe('page');
    await expect(httpGet(`http://127.0.0.1:${port}/x`, 2_000)).rejects.toThrow('answered 404');
    await expect(httpGet('http://127.0.0.1:1/', 2_000)).rejects.toThrow('http://127.0.0.1:1/');
  });
});
