// The emergency disbursal (issue 11): the escape hatch after the sweep, pre-signed before every sweep.
export * from './errors.js';
export * from './build.js';
export * from './excess.js';
export * from './psbt.js';
