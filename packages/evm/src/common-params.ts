import type { Common, ParamsDict } from '@ethereumjs/common';
import { paramsTx } from '@ethereumjs/tx';

interface CommonInternals {
  _params: ParamsDict;
  _paramsCache: object;
}

/**
 * Makes `updateParams` free when it would change nothing. @ethereumjs gives every transaction its own
 * `common.copy()` and merges the transaction parameters into it with `updateParams`, which deep-copies the tables
 * through JSON and rebuilds the whole parameter cache: ~90 µs per transaction, paid when a transaction is decoded
 * and again when runBlock rebuilds the block (a fifth of a transfer's CPU). Copies share the `_params` tables (the
 * copy is `Object.assign`). When every value of the table is already in `_params`, and the cache was built from
 * `_params` as they are now, the merge and the rebuild would leave everything as it is: that call is skipped. Any
 * other call, and any hardfork or EIP change (which builds a new cache object), takes the original path.
 *
 * The override is an own property, so every `copy()` inherits it. The transaction parameters are merged into the
 * returned common at once, so its copies skip from the first transaction on.
 */
export function withMemoizedParamUpdates(common: Common): Common {
  const proto = Object.getPrototypeOf(common) as Pick<Common, 'updateParams' | 'resetParams'>;
  // Bumped on every real change of a `_params` object, which copies share.
  const versions = new WeakMap<object, number>();
  // The `_params` version each cache object was built from (only caches built by updateParams are known).
  const builtFrom = new WeakMap<object, number>();
  const self = common as unknown as Record<'updateParams' | 'resetParams', (params: ParamsDict) => void>;
  self.updateParams = function (this: CommonInternals, params: ParamsDict): void {
    const version = versions.get(this._params) ?? 0;
    if (builtFrom.get(this._paramsCache) === version && alreadyMerged(this._params, params)) return;
    proto.updateParams.call(this, params);
    versions.set(this._params, version + 1);
    builtFrom.set(this._paramsCache, version + 1);
  };
  self.resetParams = function (this: CommonInternals, params: ParamsDict): void {
    proto.resetParams.call(this, params);
    versions.set(this._params, (versions.get(this._params) ?? 0) + 1);
  };
  common.updateParams(paramsTx);
  return common;
}

/** Every value of `params` is already in `tables` (values are JSON scalars). */
function alreadyMerged(tables: ParamsDict, params: ParamsDict): boolean {
  for (const eip in params) {
    const have = tables[eip] as Record<string, unknown> | undefined | null;
    if (have === undefined || have === null) return false;
    const want = params[eip] as Record<string, unknown>;
    for (const key in want) if (have[key] !== want[key]) return false;
  }
  return true;
}
