export function renderSchema(doc: unknown): Promise<string>;
