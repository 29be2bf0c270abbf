// Cursor pages, declared once for every service's list endpoints (REST ?limit=&cursor= and rpc.* payloads alike):
// the request asks for `limit` items after `cursor`, the answer is `{ items, nextCursor? }` where nextCursor is what
// to send as `cursor` for the next page and is absent on the last one. The cursor's form is the owner's (a keyset
// on its own order), so each list passes its cursor schema in.
import { z } from 'zod';

export interface PageLimits {
  /** Items per page when the request names none. */
  defaultLimit: number;
  /** The most items one page may hold. */
  maxLimit: number;
}

/**
 * The query (REST) or payload (RPC) of a cursor-paged list: `limit` (a number, or its decimal string in a query)
 * and the optional `cursor` the previous page handed out. Extend it with the list's own filters.
 */
export function cursorPageQuery<C extends z.ZodType<unknown, string>>(cursor: C, { defaultLimit, maxLimit }: PageLimits) {
  return z.object({
    limit: z.coerce
      .number()
      .int(`limit must be 1..${maxLimit}`)
      .min(1, `limit must be 1..${maxLimit}`)
      .max(maxLimit, `limit must be 1..${maxLimit}`)
      .default(defaultLimit)
      .describe(`Items per page, 1..${maxLimit} (default ${defaultLimit})`),
    cursor: cursor.optional().describe('nextCursor of the previous page'),
  });
}

/** A page of a list: its items and, unless this is the last page, the cursor of the next one. */
export function cursorPage<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().optional().describe('Pass as cursor for the next page; absent on the last'),
  });
}

export interface CursorPage<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * The page of rows read with `take: limit + 1` (one more than a page, to know whether another follows): the first
 * `limit` rows mapped, and the cursor of the last one when a row was left over.
 */
export function pageOf<R, T>(rows: readonly R[], limit: number, view: (row: R) => T, cursorOf: (row: R, item: T) => string): CursorPage<T> {
  const page = rows.slice(0, limit);
  const items = page.map(view);
  return rows.length > limit && page.length > 0 ? { items, nextCursor: cursorOf(page[page.length - 1]!, items[items.length - 1]!) } : { items };
}

/**
 * The public API's form of a page (api-gateway /v1, which clients already read): the items under the list's own
 * name, and `nextCursor: null` on the last page.
 */
export function namedCursorPage<K extends string, T extends z.ZodType>(key: K, item: T) {
  return z
    .object({ nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last') })
    .extend({ [key]: z.array(item) } as { [P in K]: z.ZodArray<T> });
}

/** A page in the public form: `{ [key]: items, nextCursor: string | null }`. */
export function namedPage<K extends string, T>(key: K, page: CursorPage<T>): { [P in K]: T[] } & { nextCursor: string | null } {
  return { [key]: page.items, nextCursor: page.nextCursor ?? null } as { [P in K]: T[] } & { nextCursor: string | null };
}
