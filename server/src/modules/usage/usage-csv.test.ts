import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { crlfRecords, csvField, csvLine } from './usage-csv.js';

/** A record's fields as a spreadsheet should show them: a would-be formula apostrophe-led. */
const shown = (fields: string[]) => fields.map((field) => (/^[-=+@\t\r]/.test(field) ? `'${field}` : field));

describe('csvField', () => {
  it('should leave plain text and numbers as they are', () => {
    expect(csvField('A100')).toBe('A100');
    expect(csvField(12.5)).toBe('12.5');
    expect(csvField(null)).toBe('');
  });

  it('should quote commas, quotes and line breaks, doubling quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
  });

  it('should make text a spreadsheet would run as a formula plain text, and leave numbers alone', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    for (const start of ['+', '-', '@', '\t']) expect(csvField(`${start}1`)).toBe(`'${start}1`);
    expect(csvField('\r1')).toBe(`"'\r1"`);
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField('a=b')).toBe('a=b');
  });
});

describe('csvLine', () => {
  it('should end each record with CRLF', () => {
    expect(csvLine(['a', 1, null])).toBe('a,1,\r\n');
  });

  it('should parse back to the same fields with a real CSV parser, whatever the text (a formula apostrophe-led)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ unit: 'grapheme', maxLength: 20 }), { minLength: 2, maxLength: 6 }), { minLength: 1, maxLength: 8 }), (rows) => {
        const width = rows[0]!.length;
        const table = rows.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? ''));
        const text = table.map((r) => csvLine(r)).join('');
        expect(parse(text, { relax_column_count: false, record_delimiter: '\r\n' })).toEqual(table.map(shown));
      }),
    );
  });
});

describe('crlfRecords', () => {
  const scanOf = () => ({ quoted: false, records: 0 });

  it('should end each record with CRLF and leave LFs inside quotes alone', () => {
    const scan = scanOf();
    const out = crlfRecords(Buffer.from('a,"x\ny"\nb,"say ""hi"""\n'), scan);
    expect(out.toString()).toBe('a,"x\ny"\r\nb,"say ""hi"""\r\n');
    expect(scan).toEqual({ quoted: false, records: 2 });
  });

  it('should carry the quote state from one chunk to the next', () => {
    const scan = scanOf();
    const parts = ['id,"na', 'me\nstill"', ',x\n', 'مدل،', '"q\n"\n'].map((p) => crlfRecords(Buffer.from(p), scan).toString());
    expect(parts.join('')).toBe('id,"name\nstill",x\r\nمدل،"q\n"\r\n');
    expect(scan.records).toBe(2);
  });

  it('should turn any LF-ended CSV into the same records with CRLF, however it is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (rows, cuts) => {
          const crlf = rows.map((r) => csvLine(r)).join('');
          const lf = Buffer.from(crlf.replaceAll(/\r\n(?=(?:[^"]*"[^"]*")*[^"]*$)/g, '\n'));
          const points = [...new Set(cuts.map((c) => c % (lf.length + 1)))].sort((a, b) => a - b);
          const scan = scanOf();
          let last = 0;
          const pieces: Buffer[] = [];
          for (const p of [...points, lf.length]) {
            pieces.push(crlfRecords(lf.subarray(last, p), scan));
            last = p;
          }
          const out = Buffer.concat(pieces).toString();
          expect(out).toBe(crlf);
          expect(scan.records).toBe(rows.length);
          expect(parse(out, { record_delimiter: '\r\n' })).toEqual(rows.map(shown));
        },
      ),
    );
  });
});
