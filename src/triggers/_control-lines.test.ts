import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { tokensEqual } from './_control-auth.js';
import type { ControlHandler } from './_control-dispatch.js';
import { serveLines } from './_control-lines.js';

/** A connection whose incoming chunks the test chooses, recording every reply line. */
function connection() {
  const replies: string[] = [];
  const waiters: (() => void)[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      replies.push(...chunk.toString().split('\n').filter(Boolean));
      for (const w of waiters.splice(0)) w();
      done();
    },
  });
  return {
    stream,
    replies,
    push: (chunk: Buffer | string) => stream.push(chunk),
    async reply(n: number): Promise<unknown> {
      while (replies.length <= n) await new Promise<void>((r) => waiters.push(r));
      return JSON.parse(replies[n] as string);
    },
  };
}

const echo: ControlHandler = async (request) => request;

describe('serveLines', () => {
  it('joins a request split across chunks, even inside a multi-byte character', async () => {
    const conn = connection();
    serveLines(conn.stream, echo, { kind: 'control' });
    const line = Buffer.from('{"op":"reload","units":["grüße"],"id":1}\n');
    const cut = line.indexOf(Buffer.from('ü')) + 1; // between the two bytes of ü
    conn.push(line.subarray(0, cut));
    conn.push(line.subarray(cut));
    expect(await conn.reply(0)).toEqual({
      id: 1,
      ok: true,
      result: { op: 'reload', units: ['grüße'], id: 1 },
    });
  });

  it('answers several requests of one chunk in order, skipping blank lines and CRLF', async () => {
    const conn = connection();
    const order: number[] = [];
    serveLines(
      conn.stream,
      async (request) => {
        // The first request is the slowest: replies still come in request order.
        await new Promise((r) => setTimeout(r, request.id === 1 ? 20 : 0));
        order.push(Number(request.id));
        return request.op;
      },
      { kind: 'control' },
    );
    conn.push('{"op":"status","id":1}\r\n\n  \n{"op":"ping","id":2}\n');
    expect(await conn.reply(0)).toEqual({ id: 1, ok: true, result: 'status' });
    expect(await conn.reply(1)).toEqual({ id: 2, ok: true, result: 'ping' });
    expect(order).toEqual([1, 2]);
  });

  it('turns a handler error into an error reply without its stack', async () => {
    const conn = connection();
    serveLines(
      conn.stream,
      async () => {
        throw new Error('boom');
      },
      { kind: 'control' },
    );
    conn.push('{"op":"status","id":"x"}\n');
    const reply = (await conn.reply(0)) as {
      id: string;
      ok: boolean;
      error: { message: string; stack?: string };
    };
    expect(reply).toMatchObject({ id: 'x', ok: false, error: { message: 'boom' } });
    expect(reply.error.stack).toBeUndefined();
  });
});

describe('tokensEqual', () => {
  it('compares whole tokens, whatever their lengths', () => {
    expect(tokensEqual('a-token-of-some-length', 'a-token-of-some-length')).toBe(true);
    expect(tokensEqual('a-token-of-some-length', 'a-token-of-some-lengtH')).toBe(false);
    expect(tokensEqual('short', 'a-token-of-some-length')).toBe(false);
    expect(tokensEqual('', 'a-token-of-some-length')).toBe(false);
    expect(tokensEqual(undefined, 'a-token-of-some-length')).toBe(false);
  });
});
