import { describe, expect, it } from 'vitest';
import { readConfig } from '../../functions/commons/config.ts';

describe('configuration', () => {
  it('fails loudly without a table name', () => {
    expect(() => readConfig({})).toThrow(/TABLE_NAME/);
  });
  it('rejects a malformed endpoint and retry delay', () => {
    expect(() => readConfig({ TABLE_NAME: 't', DYNAMODB_ENDPOINT: 'localhost:8000' })).toThrow(
      /DYNAMODB_ENDPOINT/,
    );
    expect(() => readConfig({ TABLE_NAME: 't', RETRY_AFTER_SECONDS: '0' })).toThrow(/RETRY_AFTER_SECONDS/);
  });
  it('reads a valid environment', () => {
    expect(readConfig({ TABLE_NAME: 't', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' })).toEqual({
      tableName: 't',
      dynamoDbEndpoint: 'http://127.0.0.1:8000',
      retryAfterSeconds: 1,
    });
  });
});
