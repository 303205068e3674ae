import { describe, expect, it } from 'vitest';
import { localSettings, nodeVersionNotice, SDK_NODE_WARNING_SWITCH } from '#tools/local/start.ts';

describe("npm start's note about the Node version", () => {
  it("replaces the AWS SDK's notice with one line of its own on Node older than 22", () => {
    const env: NodeJS.ProcessEnv = {};
    const notice = nodeVersionNotice('v20.20.2', env);
    expect(notice?.split('\n')).toHaveLength(1);
    expect(notice).toMatch(/^Note: Node v20\.20\.2 works, .* need Node 22 or newer/);
    expect(env[SDK_NODE_WARNING_SWITCH]).toBe('true');
  });

  it('says nothing and changes nothing on Node 22 or newer', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(nodeVersionNotice('v22.0.0', env)).toBeUndefined();
    expect(nodeVersionNotice('v24.11.1', env)).toBeUndefined();
    expect(env).toEqual({});
  });

  it('says nothing when the user already turned the notice off', () => {
    expect(nodeVersionNotice('v20.20.2', { [SDK_NODE_WARNING_SWITCH]: 'true' })).toBeUndefined();
  });
});

describe('npm start settings', () => {
  it('reads PORT and --data-dir, and refuses a --data-dir without a directory', () => {
    expect(localSettings({ PORT: '3100' }, ['--data-dir', '.dynamodb'])).toMatchObject({
      port: 3100,
      dataDir: '.dynamodb',
    });
    expect(localSettings({}, []).port).toBe(3000);
    expect(() => localSettings({}, ['--data-dir'])).toThrow('--data-dir needs a directory');
    expect(() => localSettings({ PORT: 'x' }, [])).toThrow('PORT must be a port number');
  });
});
