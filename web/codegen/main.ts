/** `npm run codegen -w web`: writes the typed documents (see generate.ts). */
import { writeFile } from 'node:fs/promises';
import { OUTPUT_PATH, generateTypedDocuments } from './generate';

await writeFile(OUTPUT_PATH, await generateTypedDocuments());
process.stdout.write(`wrote ${OUTPUT_PATH}\n`);
