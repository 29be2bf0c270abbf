// The shared list and error shapes (pagination.ts, problem.ts): one cursor-page query and envelope for every
// service's lists, and one RFC 9457 problem schema that documents (@ApiProblem) exactly what ProblemFilter answers.
import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Get, Module, Param, Post, Query } from '@nestjs/common';
import { APP_FILTER, APP_PIPE, NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ApiProblem, createZodDto, cursorPage, cursorPageQuery, DomainError, namedCursorPage, namedPage, pageOf, previewOpenApiDocument,
  PROBLEM_CONTENT_TYPE, ProblemFilter, problemDetails, ZodResponse, ZodValidationPipe,
} from '../src/nest/index.js';

const idCursor = z.string().regex(/^[1-9][0-9]*$/, 'cursor must be the nextCursor of a previous page');
const listQuery = cursorPageQuery(idCursor, { defaultLimit: 2, maxLimit: 3 }).extend({ colour: z.enum(['red', 'blue']).optional() });
const item = z.object({ id: z.string(), colour: z.string() });
class ListQuery extends createZodDto(listQuery) {}
class ItemPage extends createZodDto(cursorPage(item)) {}
class ItemBody extends createZodDto(item) {}
class IdParam extends createZodDto(z.object({ id: idCursor })) {}

const ITEMS = ['1', '2', '3', '4', '5'].map((id) => ({ id, colour: Number(id) % 2 ? 'red' : 'blue' }));

@Controller('items')
class ItemsController {
  @Get()
  @ZodResponse({ status: 200, type: ItemPage })
  @ApiProblem(400, 'A limit out of range or a cursor no page handed out')
  list(@Query() q: ListQuery) {
    const rows = ITEMS.filter((i) => (!q.colour || i.colour === q.colour) && (!q.cursor || Number(i.id) > Number(q.cursor))).slice(0, q.limit + 1);
    return pageOf(rows, q.limit, (r) => r, (r) => r.id);
  }

  @Get(':id')
  @ZodResponse({ status: 200, type: ItemBody })
  @ApiProblem(404, 'No such item')
  one(@Param() { id }: IdParam) {
    const found = ITEMS.find((i) => i.id === id);
    if (!found) throw new DomainError('not_found', `no item ${id}`);
    return found;
  }

  @Post()
  @ApiProblem(400, 'Malformed body')
  @ApiProblem(409, 'Exists')
  create(@Body() body: ItemBody) {
    throw new DomainError('conflict', `item ${body.id} exists`);
  }
}

@Module({ controllers: [ItemsController], providers: [{ provide: APP_PIPE, useClass: ZodValidationPipe }, { provide: APP_FILTER, useClass: ProblemFilter }] })
class ItemsModule {}

let base: string;
let close: () => Promise<void>;
beforeAll(async () => {
  const app = await NestFactory.create(ItemsModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
  close = () => app.close();
});
afterAll(() => close?.());

const getJson = async (path: string) => {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
};

describe('cursor pages', () => {
  it('walks a list page by page: nextCursor on every page but the last, the default limit, a filter', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { status, body } = await getJson(`/items${cursor ? `?cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      const page = cursorPage(item).parse(body);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(['1', '2', '3', '4', '5']);
    expect(pages).toBe(3);
    // Exactly a page left: no nextCursor pointing at an empty page.
    expect((await getJson('/items?limit=3&cursor=2')).body).toEqual({ items: [ITEMS[2], ITEMS[3], ITEMS[4]] });
    expect((await getJson('/items?colour=red&limit=3')).body).toEqual({ items: [ITEMS[0], ITEMS[2], ITEMS[4]] });
  });

  it('refuses a limit out of range and a cursor no page handed out, as problem+json naming the field', async () => {
    for (const [query, path] of [['limit=4', 'limit'], ['limit=0', 'limit'], ['limit=two', 'limit'], ['cursor=abc', 'cursor']] as const) {
      const { status, type, body } = await getJson(`/items?${query}`);
      expect(status, query).toBe(400);
      expect(type).toMatch(/^application\/problem\+json/);
      expect(body.errors, query).toEqual([expect.objectContaining({ path })]);
    }
    // RPC payloads carry numbers: the same schema takes them.
    expect(listQuery.parse({ limit: 3 })).toEqual({ limit: 3 });
    expect(listQuery.parse({})).toEqual({ limit: 2 });
  });

  it('pageOf: the first limit rows, and the cursor of the last one only when a row was left over', () => {
    expect(pageOf([1, 2, 3], 2, (n) => n * 10, (row, view) => `${row}:${view}`)).toEqual({ items: [10, 20], nextCursor: '2:20' });
    expect(pageOf([1, 2], 2, (n) => n, String)).toEqual({ items: [1, 2] });
    expect(pageOf([], 2, (n) => n, String)).toEqual({ items: [] });
  });

  it('the public form: items under the list name, nextCursor null on the last page', () => {
    const schema = namedCursorPage('things', item);
    expect(schema.parse(namedPage('things', { items: [ITEMS[0]!] }))).toEqual({ things: [ITEMS[0]], nextCursor: null });
    expect(schema.parse(namedPage('things', { items: [], nextCursor: '7' }))).toEqual({ things: [], nextCursor: '7' });
    expect(() => schema.parse({ things: [] })).toThrow();
  });
});

describe('problem+json', () => {
  const declared = Object.keys(problemDetails.shape);

  it('every error answer fits the Problem schema and uses no member it does not declare', async () => {
    const answers = [
      await getJson('/items/9'),
      await getJson('/items?limit=9'),
      await getJson('/nowhere'),
      await (async () => {
        const res = await fetch(`${base}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: '1', colour: 'red' }) });
        return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
      })(),
    ];
    expect(answers.map((a) => a.status)).toEqual([404, 400, 404, 409]);
    for (const a of answers) {
      expect(a.type).toMatch(/^application\/problem\+json/);
      expect(problemDetails.parse(a.body)).toEqual(a.body);
      expect(Object.keys(a.body).filter((k) => !declared.includes(k))).toEqual([]);
      expect(a.body.status).toBe(a.status);
    }
    expect(answers[3]!.body).toMatchObject({ code: 'conflict', detail: 'item 1 exists', type: 'urn:tapbridge:problem:conflict' });
  });

  it('@ApiProblem documents each status as application/problem+json of the one Problem schema', async () => {
    const doc = await previewOpenApiDocument(ItemsModule, { title: 'items' });
    const ref = { $ref: '#/components/schemas/Problem' };
    const responses = (path: string, method: 'get' | 'post') => (doc.paths[path]![method]!.responses ?? {}) as Record<string, { content?: Record<string, { schema: unknown }> }>;
    expect(responses('/items', 'get')['400']!.content).toEqual({ [PROBLEM_CONTENT_TYPE]: { schema: ref } });
    expect(responses('/items/{id}', 'get')['404']!.content).toEqual({ [PROBLEM_CONTENT_TYPE]: { schema: ref } });
    expect(Object.keys(responses('/items', 'post'))).toEqual(expect.arrayContaining(['400', '409']));
    const problem = doc.components!.schemas!.Problem as { required: string[]; properties: Record<string, unknown> };
    expect(problem.required.sort()).toEqual(['code', 'detail', 'instance', 'message', 'status', 'title', 'type']);
    expect(Object.keys(problem.properties).sort()).toEqual([...declared].sort());
    // The list's query is documented from the shared schema: limit with its bounds and default, the cursor.
    const params = doc.paths['/items']!.get!.parameters as unknown as Array<{ name: string; schema: Record<string, unknown> }>;
    expect(params.find((p) => p.name === 'limit')!.schema).toMatchObject({ minimum: 1, maximum: 3, default: 2 });
    expect(params.find((p) => p.name === 'cursor')!.schema).toMatchObject({ type: 'string' });
  });
});
