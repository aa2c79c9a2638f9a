// @vitest-environment node
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { OUTPUT_PATH, generateTypedDocuments } from './generate';

describe('the generated typed documents', () => {
  it('should be up to date with schema.graphql and the .graphql files of web/src', async () => {
    const committed = await readFile(OUTPUT_PATH, 'utf8').catch(() => '');
    const generated = await generateTypedDocuments();
    // A boolean, not the texts: the documents are single lines of JSON, a diff of which says nothing.
    expect(
      committed === generated,
      `${OUTPUT_PATH} is missing or out of date: run \`npm run codegen -w web\` and commit the result`,
    ).toBe(true);
  });
});
