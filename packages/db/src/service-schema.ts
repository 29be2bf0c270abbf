/** Each app owns the Postgres schema named after it: header-watcher → header_watcher. One rule for migrate and run. */
export function serviceSchema(app: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(app)) throw new Error(`invalid app name ${JSON.stringify(app)}`);
  return app.replace(/-/g, '_');
}
