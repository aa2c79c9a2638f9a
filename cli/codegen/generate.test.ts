import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { OUTPUT_PATH, generateTypedDocuments } from './generate.js';

describe("the command-line client's typed documents", () => {
  it('should be up to date with schema.graphql and cli/src/operations', async () => {
    const committed = await readFile(OUTPUT_PATH, 'utf8').catch(() => '');
    expect(
      committed === (await generateTypedDocuments()),
      `${OUTPUT_PATH} is missing or out of date: run \`npm run codegen\` and commit the result`,
    ).toBe(true);
  });
});
