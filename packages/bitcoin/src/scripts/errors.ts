/** A script does not fit its template, or template parameters are invalid; `rule` names what was broken. */
export class ScriptTemplateError extends Error {
  override readonly name = 'ScriptTemplateError';
  constructor(
    readonly template: string,
    readonly rule: string,
  ) {
    super(`${template}: ${rule}`);
  }
}
