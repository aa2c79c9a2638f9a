/** Writes `schema.graphql` at the repository root from the code (`npm run schema`). */
import { writeFile } from 'node:fs/promises';
import { SCHEMA_FILE } from '../paths.js';
import { printGraphQLSchema } from './schema.js';

const target = SCHEMA_FILE;
await writeFile(target, await printGraphQLSchema());
process.stdout.write(`wrote ${target}\n`);
