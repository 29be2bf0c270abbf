// The in-memory transaction + outbox helper the packages' test stores share: a throw leaves nothing behind,
// transactions run one after another, and an event is kept once per id with a validated payload.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, emitToMemoryOutbox, MemoryTransactions, type StoredEvent } from '../src/index.js';

const noted = defineEvent({ subject: 'test.noted', version: 1, stream: 'TEST', schema: z.object({ n: z.number().int() }), id: (p) => `test.noted:${p.n}` });
const fresh = () => new MemoryTransactions<{ count: number; seen: Map<number, bigint>; outbox: StoredEvent[] }>({ count: 0, seen: new Map(), outbox: [] });

describe('MemoryTransactions', () => {
  it('commits a resolved transaction and leaves nothing of a rejected one (state and outbox)', async () => {
    const db = fresh();
    await db.run(async (s) => {
      s.count = 1;
      s.seen.set(1, 10n);
      emitToMemoryOutbox(s.outbox, noted, { n: 1 });
    });
    await expect(
      db.run(async (s) => {
        s.count = 2;
        s.seen.set(2, 20n);
        emitToMemoryOutbox(s.outbox, noted, { n: 2 });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(db.state.count).toBe(1);
    expect([...db.state.seen]).toEqual([[1, 10n]]);
    expect(db.outbox.map((e) => e.id)).toEqual(['test.noted:1']);
  });

  it('runs transactions one at a time, each on the state the previous one committed', async () => {
    const db = fresh();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = db.run(async (s) => {
      order.push('first start');
      await gate;
      s.count += 1;
      order.push('first end');
    });
    const second = db.run(async (s) => {
      order.push(`second sees ${s.count}`);
      s.count += 1;
    });
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first start', 'first end', 'second sees 1']);
    expect(db.state.count).toBe(2);
  });

  it('keeps an event once per id and refuses an invalid payload', async () => {
    const db = fresh();
    await db.run(async (s) => {
      emitToMemoryOutbox(s.outbox, noted, { n: 3 });
      emitToMemoryOutbox(s.outbox, noted, { n: 3 });
    });
    expect(db.outbox).toEqual([{ id: 'test.noted:3', subject: 'test.noted', payload: { n: 3 } }]);
    await expect(db.run(async (s) => emitToMemoryOutbox(s.outbox, noted, { n: 1.5 }))).rejects.toThrow();
    expect(db.outbox).toHaveLength(1);
  });
});
