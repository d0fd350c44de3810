import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '@backstage/errors';
import { CHART } from '../__testUtils__/setup';
import { inputSchema, QUANTITY_PATTERN, validateInput } from './inputs';

const schema = JSON.parse(
  readFileSync(path.join(CHART, 'values.schema.json'), 'utf8'),
);

describe('storageSize', () => {
  const input = inputSchema(['storageSize'] as const);

  it("is the chart schema's storage.size rule", () => {
    expect(QUANTITY_PATTERN.source).toBe(
      schema.properties.storage.properties.size.pattern,
    );
  });

  it.each(['4Gi', '512Mi', '1.5Gi'])('accepts %s', size => {
    expect(validateInput(input, { storageSize: size })).toEqual({
      storageSize: size,
    });
  });

  it.each(['4 GB', '-1Gi', '4Gi; rm -rf /', 'lots'])('refuses %j', size => {
    expect(() => validateInput(input, { storageSize: size })).toThrow(
      InputError,
    );
  });
});
