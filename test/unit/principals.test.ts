import { describe, expect, it } from 'vitest';
import { checkAdminPrincipalArns, readConfig } from '#commons/config.ts';
import { parseListedPrincipal, principalAllowed } from '#commons/principals.ts';

const allowed = (caller: string, ...listed: string[]) =>
  principalAllowed(caller, checkAdminPrincipalArns(listed));

describe('admin principal allow-list: ARN matching', () => {
  it('matches an IAM user exactly, path included', () => {
    expect(allowed('arn:aws:iam::123456789012:user/alice', 'arn:aws:iam::123456789012:user/alice')).toBe(
      true,
    );
    expect(
      allowed('arn:aws:iam::123456789012:user/ops/alice', 'arn:aws:iam::123456789012:user/ops/alice'),
    ).toBe(true);
    expect(allowed('arn:aws:iam::123456789012:user/alice2', 'arn:aws:iam::123456789012:user/alice')).toBe(
      false,
    );
    expect(allowed('arn:aws:iam::123456789012:user/ops/alice', 'arn:aws:iam::123456789012:user/alice')).toBe(
      false,
    );
    expect(allowed('arn:aws:iam::210987654321:user/alice', 'arn:aws:iam::123456789012:user/alice')).toBe(
      false,
    );
  });

  it('matches every session of a listed role, with or without a path in the listed ARN', () => {
    const session = 'arn:aws:sts::123456789012:assumed-role/Operators/alice@example.com';
    expect(allowed(session, 'arn:aws:iam::123456789012:role/Operators')).toBe(true);
    expect(allowed(session, 'arn:aws:iam::123456789012:role/teams/security/Operators')).toBe(true);
    expect(
      allowed(
        'arn:aws:sts::123456789012:assumed-role/Operators/i-0abc',
        'arn:aws:iam::123456789012:role/Operators',
      ),
    ).toBe(true);
  });

  it('refuses a session of another role, another account or another partition', () => {
    const listed = 'arn:aws:iam::123456789012:role/Operators';
    expect(allowed('arn:aws:sts::123456789012:assumed-role/OperatorsReadOnly/s', listed)).toBe(false);
    expect(allowed('arn:aws:sts::123456789012:assumed-role/Operator/s', listed)).toBe(false);
    expect(allowed('arn:aws:sts::210987654321:assumed-role/Operators/s', listed)).toBe(false);
    expect(allowed('arn:aws-cn:sts::123456789012:assumed-role/Operators/s', listed)).toBe(false);
    expect(
      allowed(
        'arn:aws-us-gov:sts::123456789012:assumed-role/Operators/s',
        'arn:aws-us-gov:iam::123456789012:role/Operators',
      ),
    ).toBe(true);
  });

  it('does not let a role match a user of the same name, or a user a role session', () => {
    expect(
      allowed('arn:aws:iam::123456789012:user/Operators', 'arn:aws:iam::123456789012:role/Operators'),
    ).toBe(false);
    expect(
      allowed('arn:aws:sts::123456789012:assumed-role/alice/s', 'arn:aws:iam::123456789012:user/alice'),
    ).toBe(false);
    // The role's own ARN is never a caller; if it showed up it would not be a session.
    expect(
      allowed('arn:aws:iam::123456789012:role/Operators', 'arn:aws:iam::123456789012:role/Operators'),
    ).toBe(false);
  });

  it('matches any one entry of a longer list', () => {
    const list = ['arn:aws:iam::123456789012:user/alice', 'arn:aws:iam::123456789012:role/Operators'];
    expect(allowed('arn:aws:sts::123456789012:assumed-role/Operators/x', ...list)).toBe(true);
    expect(allowed('arn:aws:iam::123456789012:user/alice', ...list)).toBe(true);
    expect(allowed('arn:aws:iam::123456789012:user/bob', ...list)).toBe(false);
  });

  it('lists only IAM user and role ARNs: no root, session, wildcard or other service', () => {
    for (const arn of [
      'arn:aws:iam::123456789012:root',
      'arn:aws:sts::123456789012:assumed-role/Operators/alice',
      'arn:aws:iam::123456789012:role/*',
      'arn:aws:iam::123456789012:user/',
      'arn:aws:iam::12345:user/alice',
      'arn:aws:s3:::bucket',
      '*',
      'alice',
    ]) {
      expect(parseListedPrincipal(arn), arn).toBeUndefined();
    }
  });
});

describe('ADMIN_PRINCIPAL_ARNS', () => {
  const read = (value: string) =>
    readConfig({ TABLE_NAME: 't', ADMIN_PRINCIPAL_ARNS: value }).adminPrincipals;

  it('is no allow-list when unset or empty', () => {
    expect(readConfig({ TABLE_NAME: 't' }).adminPrincipals).toBeUndefined();
    expect(read('')).toBeUndefined();
  });

  it('reads a comma-separated list, spaces around entries ignored', () => {
    expect(
      read(' arn:aws:iam::123456789012:user/alice , arn:aws:iam::123456789012:role/ops/Operators '),
    ).toEqual([
      { type: 'user', arn: 'arn:aws:iam::123456789012:user/alice' },
      { type: 'role', partition: 'aws', account: '123456789012', name: 'Operators' },
    ]);
  });

  it('fails loudly on an entry that is not a user or role ARN, naming it', () => {
    expect(() => read('arn:aws:iam::123456789012:user/alice,arn:aws:iam::123456789012:root')).toThrow(
      /ADMIN_PRINCIPAL_ARNS must list IAM user or role ARNs .*"arn:aws:iam::123456789012:root"/,
    );
  });

  it('fails loudly on a list of nothing but commas, which would lock every operator out', () => {
    expect(() => read(' , ')).toThrow(/ADMIN_PRINCIPAL_ARNS must list at least one/);
  });
});
