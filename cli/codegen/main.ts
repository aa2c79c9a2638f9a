/** `npm run codegen -w cli`: writes the typed documents (see generate.ts). */
import { writeFile } from 'node:fs/promises';
import { OUTPUT_PATH, generateTypedDocuments } from './generate.js';

await writeFile(OUTPUT_PATH, await generateTypedDocuments());
process.stdout.write(`wrote ${OUTPUT_PATH}\n`);
