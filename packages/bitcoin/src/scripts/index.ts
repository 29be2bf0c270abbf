export * from './errors.js';
export * from './opcodes.js';
export * from './output-script.js';
