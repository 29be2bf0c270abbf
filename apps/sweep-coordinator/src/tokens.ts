/** Injection tokens for values that are not classes. */
export const CONFIG = Symbol('SWEEP_COORDINATOR_CONFIG');
