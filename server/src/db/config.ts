/** Configuration for the MikroORM CLI (`npm run migration:create -w server`); needs DATABASE_URL. */
import { loadConfig } from '../config.js';
import { ormOptions } from './orm.js';

const { databaseUrl } = loadConfig();
if (databaseUrl === undefined) throw new Error('Set DATABASE_URL to a scratch database to create migrations');
export default ormOptions(databaseUrl, 10, undefined, { writeSnapshot: true });
