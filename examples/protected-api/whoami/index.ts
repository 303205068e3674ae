import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';

/** What the TokenAuthorizer passes on to the route (`requestContext.authorizer.lambda`). */
interface AuthorizerContext {
  readonly clientId: string;
  readonly scope: string;
  readonly sub?: string;
  /** A trusted issuer's token (Cognito, Auth0, ...): its issuer. */
  readonly iss?: string;
}

/**
 * The example API's one integration: answers with what the TokenAuthorizer passed on, so a caller sees
 * whose token it presented. The local server serves it as `GET /demo/whoami` behind the same authorizer.
 */
export async function handler(
  event: APIGatewayProxyEventV2WithLambdaAuthorizer<Partial<AuthorizerContext>>,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { clientId, scope, sub, iss } = event.requestContext.authorizer.lambda;
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    body: JSON.stringify({
      ...(clientId !== undefined && { clientId }),
      scope,
      ...(sub !== undefined && { sub }),
      ...(iss !== undefined && { iss }),
    }),
  };
}
