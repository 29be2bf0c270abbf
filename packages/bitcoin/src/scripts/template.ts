/** The shape every script template shares: build from parameters, parse back, round-tripping exactly. */
export interface ScriptTemplate<P> {
  readonly name: string;
  build(params: P): Uint8Array;
  parse(script: Uint8Array): P;
}
