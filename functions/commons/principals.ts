/**
 * The admin principal allow-list: which IAM identities may call the admin API, on top of IAM itself.
 * A listed IAM user matches exactly; a listed IAM role matches any session of it, because API Gateway
 * reports a role's caller as its session (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`), an ARN that
 * names the role without the path its `arn:aws:iam::ACCOUNT:role/PATH/ROLE` form carries.
 */

/** A principal ARN that may be listed. */
export type ListedPrincipal =
  | { readonly type: 'user'; readonly arn: string }
  | { readonly type: 'role'; readonly partition: string; readonly account: string; readonly name: string };

// IAM names: letters, digits and + = , . @ _ - ; paths: `/` separated segments of the same.
const NAME = '[\\w+=,.@-]+';
const USER_ARN = new RegExp(`^arn:(aws[\\w-]*):iam::(\\d{12}):user/(?:${NAME}/)*${NAME}$`);
const ROLE_ARN = new RegExp(`^arn:(aws[\\w-]*):iam::(\\d{12}):role/(?:${NAME}/)*(${NAME})$`);
const SESSION_ARN = new RegExp(`^arn:(aws[\\w-]*):sts::(\\d{12}):assumed-role/(${NAME})/${NAME}$`);

/**
 * Parses one allow-list entry: an IAM user ARN or an IAM role ARN (with or without a path). Undefined for
 * anything else (an account root, a session, a wildcard), which the configuration refuses: such an entry
 * would either match nothing or far more than its author meant.
 */
export function parseListedPrincipal(arn: string): ListedPrincipal | undefined {
  if (USER_ARN.test(arn)) return { type: 'user', arn };
  const role = ROLE_ARN.exec(arn);
  if (role) {
    const [, partition = '', account = '', name = ''] = role;
    return { type: 'role', partition, account, name };
  }
  return undefined;
}

/** Whether the caller's ARN (`requestContext.authorizer.iam.userArn`) is one of the listed principals. */
export function principalAllowed(callerArn: string, allowed: readonly ListedPrincipal[]): boolean {
  const session = SESSION_ARN.exec(callerArn);
  return allowed.some((entry) => {
    if (entry.type === 'user') return entry.arn === callerArn;
    if (!session) return false;
    const [, partition, account, roleName] = session;
    return entry.partition === partition && entry.account === account && entry.name === roleName;
  });
}
