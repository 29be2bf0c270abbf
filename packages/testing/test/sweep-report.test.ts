// The global teardown's report names what it swept, so the test that leaked can be found from the label of its
// prefix; Redis keys are grouped into patterns so a run of job keys reads as one line.
import { describe, expect, it } from 'vitest';
import { describeSwept, redisKeyPattern } from '../src/global-setup.js';

const token = 'rmx7abc12345';

describe('sweep report', () => {
  it('is empty when nothing was left', () => {
    expect(describeSwept(token, { databases: [], streams: [], redisKeys: [] })).toBe('');
  });

  it('names databases and streams, with the run token and random tail shown as <run>', () => {
    const report = describeSwept(token, {
      databases: [`tbtest_${token}_deposits`],
      streams: [`PIPE${token.toUpperCase()}A1B2C3_EVENTS`, `NESTFD${token.toUpperCase()}0F0F0F_EVENTS`],
      redisKeys: [],
    });
    expect(report).toBe([
      `  1 databases: tbtest_<run>_deposits`,
      `  2 streams: NESTFD<run>_EVENTS, PIPE<run>_EVENTS`,
    ].join('\n'));
  });

  it('groups Redis keys into patterns with counts', () => {
    const report = describeSwept(token, {
      databases: [],
      streams: [],
      redisKeys: [
        `bull:pipe${token}a1b2c3:webhook:1`,
        `bull:pipe${token}a1b2c3:webhook:2`,
        `bull:pipe${token}a1b2c3:webhook:id`,
        `gw${token}ffffff:throttle:api-gateway:default:9f86d081884c7d659a2feaa0c55ad015`,
      ],
    });
    expect(report).toBe(`  4 redis keys: bull:pipe<run>:webhook:* (2), bull:pipe<run>:webhook:id, gw<run>:throttle:api-gateway:default:*`);
  });

  it('keeps words and replaces ids, counters, hashes and uuids', () => {
    expect(redisKeyPattern('a:123:deadbeefcafe:0b1e7d1c-5a9f-4b6e-9d3c-2f2f2f2f2f2f:wait:10.0.0.1')).toBe('a:*:*:*:wait:*');
    expect(redisKeyPattern('bull:q:meta')).toBe('bull:q:meta');
  });
});
