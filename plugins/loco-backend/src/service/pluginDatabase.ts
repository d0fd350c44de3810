import {
  resolvePackagePath,
  type DatabaseService,
} from '@backstage/backend-plugin-api';

/** The knex client Backstage's database service hands the plugin. */
export type PluginKnex = Awaited<ReturnType<DatabaseService['getClient']>>;

/**
 * The plugin's database, brought to the latest of the migrations shipped in
 * the package (`migrations/`, in the published tarball too) unless the
 * backend is configured to skip them.
 */
export async function migratedPluginDatabase(
  database: DatabaseService,
): Promise<PluginKnex> {
  const knex = await database.getClient();
  if (!database.migrations?.skip) {
    await knex.migrate.latest({
      directory: resolvePackagePath(
        '@loco-portal/plugin-loco-backend',
        'migrations',
      ),
    });
  }
  return knex;
}
