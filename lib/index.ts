/** The package's constructs: the service itself, and the authorizer other APIs put in front of theirs. */

export { TokenRevocationStack, type TokenRevocationStackProps } from './stack.ts';
export { BEARER_VALIDATION_REGEX, TokenAuthorizer, type TokenAuthorizerProps } from './token-authorizer.ts';
export {
  ACCESS_LOG_FIELDS,
  TokenRevocationService,
  type TokenRevocationServiceProps,
} from './token-revocation-service.ts';
export {
  cognitoUserPoolIssuer,
  type TrustedIssuer,
  TrustedIssuerRegistration,
  type TrustedIssuerRegistrationProps,
} from './trusted-issuers.ts';
