/** Injection token of the process's ServiceRuntime (`@Inject(RUNTIME)`). */
export const RUNTIME = Symbol('RUNTIME');
