// Test helpers for the signing loop and for stores implementing SigningStore (`@tapbridge/signing/testing`).
export * from './group.js';
export * from './transport.js';
export * from './scenarios.js';
