import { RPC_ERROR, RpcError } from '../errors.js';

/** Positional RPC parameters with Core-style type errors (RPC_TYPE_ERROR, -3). */
export class RpcParams {
  constructor(
    private readonly values: readonly unknown[],
    private readonly names: readonly string[],
  ) {
    if (values.length > names.length) throw new RpcError(RPC_ERROR.MISC_ERROR, `too many parameters (at most ${names.length}: ${names.join(', ')})`);
  }

  private raw(i: number): unknown {
    const v = this.values[i];
    return v === null ? undefined : v;
  }

  private typeError(i: number, expected: string): RpcError {
    const v = this.values[i];
    const actual = Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v;
    return new RpcError(RPC_ERROR.TYPE_ERROR, `JSON value of type ${actual} for field ${this.names[i]} is not of expected type ${expected}`);
  }

  private missing(i: number): RpcError {
    return new RpcError(RPC_ERROR.MISC_ERROR, `missing required parameter ${this.names[i]}`);
  }

  string(i: number): string {
    const v = this.raw(i);
    if (v === undefined) throw this.missing(i);
    if (typeof v !== 'string') throw this.typeError(i, 'string');
    return v;
  }

  optionalString(i: number): string | undefined {
    return this.raw(i) === undefined ? undefined : this.string(i);
  }

  integer(i: number): number {
    const v = this.raw(i);
    if (v === undefined) throw this.missing(i);
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.typeError(i, 'number');
    return v;
  }

  optionalInteger(i: number, fallback: number): number {
    return this.raw(i) === undefined ? fallback : this.integer(i);
  }

  optionalNumber(i: number): number | undefined {
    const v = this.raw(i);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' && typeof v !== 'string') throw this.typeError(i, 'number');
    const n = Number(v);
    if (!Number.isFinite(n)) throw this.typeError(i, 'number');
    return n;
  }

  optionalBool(i: number, fallback: boolean): boolean {
    const v = this.raw(i);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw this.typeError(i, 'bool');
    return v;
  }

  /** Some Core flags take a bool or a number (getrawtransaction verbose, getblock verbosity). */
  boolOrInt(i: number, fallback: number): number {
    const v = this.raw(i);
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    throw this.typeError(i, 'number');
  }

  stringArray(i: number): string[] {
    const v = this.raw(i);
    if (v === undefined) throw this.missing(i);
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw this.typeError(i, 'array of strings');
    return v as string[];
  }

  optionalStringArray(i: number): string[] | undefined {
    return this.raw(i) === undefined ? undefined : this.stringArray(i);
  }

  /** An options object (Core's named-options parameters, e.g. bumpfee's). */
  optionalObject(i: number): Record<string, unknown> | undefined {
    const v = this.raw(i);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw this.typeError(i, 'object');
    return v as Record<string, unknown>;
  }

  /** Amount in BTC, as a number or string. */
  amount(i: number): unknown {
    const v = this.raw(i);
    if (v === undefined) throw this.missing(i);
    return v;
  }

  optionalAmount(i: number): unknown {
    return this.raw(i);
  }
}

/** Accepts positional arrays or named-parameter objects (Core maps names to positions per method). */
export function toPositional(params: unknown, names: readonly string[]): unknown[] {
  if (params === undefined || params === null) return [];
  if (Array.isArray(params)) return params;
  if (typeof params === 'object') {
    const obj = params as Record<string, unknown>;
    for (const key of Object.keys(obj)) if (!names.includes(key)) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `Unknown named parameter ${key}`);
    const out = names.map((n) => obj[n]);
    while (out.length > 0 && out[out.length - 1] === undefined) out.pop();
    return out;
  }
  throw new RpcError(RPC_ERROR.INVALID_REQUEST, 'Params must be an array or object');
}
