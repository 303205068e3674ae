import { CustomResource, Duration, type RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '#commons/config.ts';
import type { IssuerAlgorithm } from '#commons/domain/issuers.ts';
import { readIssuerRegistration } from '#commons/http/issuer-json.ts';
import { functionEntry } from '#commons/manifest.ts';
import { ISSUER_KEY_PREFIX } from '#commons/schema.ts';
import { ServiceFunction } from './service-function.ts';
import { keyActions } from './table-access.ts';

/**
 * A trusted issuer the construct registers at deploy: another authorization server whose JWT access tokens
 * the service then revokes, introspects and enforces. The fields are `POST /admin/issuers`'s (see
 * docs/trusted-issuers.md); exactly one of `jwksUri` and `jwks`.
 */
export interface TrustedIssuer {
  /** The exact `iss` of the issuer's tokens. */
  readonly issuer: string;
  /**
   * Its JWK Set URL (https).
   * @default - none: give `jwks`
   */
  readonly jwksUri?: string;
  /**
   * Its JWK Set itself, for an issuer the functions cannot reach.
   * @default - none: give `jwksUri`
   */
  readonly jwks?: { readonly keys: readonly Record<string, unknown>[] };
  /**
   * A token's `aud` must contain one of these.
   * @default - any audience
   */
  readonly audiences?: readonly string[];
  /**
   * The claims naming a token's client; the first present wins.
   * @default ['client_id', 'azp', 'cid']
   */
  readonly clientIdClaims?: readonly string[];
  /**
   * The claim naming a token's subject.
   * @default 'sub'
   */
  readonly subjectClaim?: string;
  /**
   * The claim every token of one sign-in session shares (Cognito `origin_jti`, Keycloak `sid`): revoking
   * a token that carries it revokes them all.
   * @default - none
   */
  readonly familyClaim?: string;
  /**
   * How long a revoked family stays revoked, in seconds.
   * @default 2592000 (30 days)
   */
  readonly familyLifetimeSeconds?: number;
  /**
   * The signature algorithms accepted (asymmetric only).
   * @default - all of RS256-512, PS256-512, ES256-512 and EdDSA
   */
  readonly algorithms?: readonly IssuerAlgorithm[];
  /**
   * A token living longer than this (`exp - iat`, seconds) is refused.
   * @default 86400
   */
  readonly maxTokenLifetimeSeconds?: number;
  /**
   * Accept ID tokens as bearer tokens.
   * @default false
   */
  readonly acceptIdTokens?: boolean;
  /**
   * A display name.
   * @default - none
   */
  readonly name?: string;
}

/**
 * The trusted issuer of an Amazon Cognito user pool: its issuer URL
 * (`https://cognito-idp.<region>.amazonaws.com/<poolId>`), its JWK Set URL (`<issuer>/.well-known/jwks.json`),
 * its access tokens' `client_id`, and `origin_jti` as the family (every access token refreshed from one
 * sign-in shares it, so revoking one revokes the session's, as Cognito's own token revocation does for
 * its refresh token). `options` override any of these or add to them (`audiences`, `name`...).
 *
 * @param userPool - The pool, of this stack or imported (`UserPool.fromUserPoolId`); its region is the
 *   stack's it belongs to.
 */
export function cognitoUserPoolIssuer(
  userPool: cognito.IUserPool,
  options: Partial<TrustedIssuer> = {},
): TrustedIssuer {
  const region = userPool.env.region;
  const issuer = `https://cognito-idp.${region}.amazonaws.com/${userPool.userPoolId}`;
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    familyClaim: 'origin_jti',
    clientIdClaims: ['client_id'],
    ...options,
  };
}

export interface TrustedIssuerRegistrationProps {
  readonly table: dynamodb.ITable;
  readonly issuers: readonly TrustedIssuer[];
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** The manifest entry of the deploy-time registration function. */
const ENTRY = functionEntry('register-issuers');

/**
 * Registers `issuers` at deploy, idempotently: a custom resource backed by the `register-issuers`
 * function, which may only read and put issuer items (`dynamodb:LeadingKeys` `issuer#*`). Registrations
 * fully known at synth are checked there by the admin API's rules, so a typo fails `cdk synth`.
 */
export class TrustedIssuerRegistration extends Construct {
  readonly function: ServiceFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: TrustedIssuerRegistrationProps) {
    super(scope, id);
    for (const [index, issuer] of props.issuers.entries()) {
      if (Token.isUnresolved(JSON.stringify(issuer))) continue;
      try {
        readIssuerRegistration({ ...issuer }, false);
      } catch (error) {
        throw new Error(
          `trustedIssuers[${index}]: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    const issuers = props.issuers
      .map((issuer) => issuer.issuer)
      .filter((issuer) => !Token.isUnresolved(issuer));
    if (new Set(issuers).size !== issuers.length) throw new Error('trustedIssuers names one issuer twice');

    this.function = new ServiceFunction(this, 'Function', {
      handler: ENTRY.name,
      description: 'Registers the trusted issuers the construct declares (CloudFormation custom resource)',
      timeout: Duration.minutes(1),
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
      environment: { [ENV.tableName]: props.table.tableName },
    });
    Validations.of(this.function.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords, added by the Lambda construct, ' +
        'support no resource-level permissions, so X-Ray only accepts them on "*".',
    });
    // Exactly the manifest's actions, and only on issuer items.
    this.function.executionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...ENTRY.tableActions],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ISSUER_KEY_PREFIX}*`] } },
      }),
    );
    props.table.encryptionKey?.grant(this.function.executionRole, ...keyActions(ENTRY));

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::TrustedIssuers',
      // A change of any registration runs the function again (an Update); tokens resolve at deploy.
      properties: { Issuers: Stack.of(this).toJsonString(props.issuers) },
    });
  }
}
