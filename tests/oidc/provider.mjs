// A real OpenID provider (the npm package oidc-provider) for the agency sign-in tests.
//
// Started by tests/oidc/conftest.py on a loopback port; it prints "listening <issuer>"
// once it answers. Its accounts and clients come from the environment so that the test
// decides who exists. Sign-in is automatic: the account is the authorization request's
// login_hint, with the amr/acr that account is given; consent is granted at once.
//
// Some clients stand for a misbehaving or hostile identity provider: their ID token is
// re-signed with this provider's own key after one claim is changed, so that only the
// portal's claim checks (not a broken signature) can refuse it.
//
//   OIDC_PORT       port to listen on (127.0.0.1)
//   OIDC_ACCOUNTS   JSON {sub: {email, email_verified, name, amr, acr, ...extra claims}}
//   OIDC_CLIENTS    JSON [{client_id, client_secret, redirect_uri, tamper?}]
//                   tamper: "nonce" | "audience" | "issuer" | "signature"

import http from 'node:http';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const tamperByClient = Object.fromEntries(clients.map((c) => [c.client_id, c.tamper]));

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: 'test-signing-key', alg: 'RS256', use: 'sig' };
const { privateKey: strangerKey } = await jose.generateKeyPair('RS256');

const configuration = {
  clients: clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: [c.redirect_uri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: ['test-only-cookie-key-0123456789abcdef'] },
  claims: {
    // In the openid scope, so that every ID token says how its person signed in.
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    email: ['email', 'email_verified'],
    profile: ['name', 'roles'],
  },
  acrValues: [...new Set(Object.values(accounts).map((a) => a.acr).filter(Boolean))],
  ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
  // The claims go into the ID token itself, where the portal reads them.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        const { amr, acr, ...claims } = account;
        return { sub, ...claims };
      },
    };
  },
};

const provider = new Provider(issuer, configuration);

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token) return;
  const claims = jose.decodeJwt(ctx.body.id_token);
  const tamper = tamperByClient[claims.aud];
  if (!tamper) return;
  let key = privateKey;
  if (tamper === 'nonce') claims.nonce = 'a-nonce-this-portal-never-sent';
  if (tamper === 'audience') claims.aud = 'another-relying-party';
  if (tamper === 'issuer') claims.iss = 'http://127.0.0.1:9/impostor';
  if (tamper === 'signature') key = strangerKey;
  ctx.body = {
    ...ctx.body,
    id_token: await new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signingKey.kid }).sign(key),
  };
});

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  let result;
  if (prompt.name === 'login') {
    const account = accounts[params.login_hint];
    if (!account) {
      res.statusCode = 400;
      res.end(`no such account: ${params.login_hint}`);
      return;
    }
    result = { login: { accountId: params.login_hint, amr: account.amr, acr: account.acr } };
  } else {
    const grant = new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    grant.addOIDCScope(params.scope);
    result = { consent: { grantId: await grant.save() } };
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  } else {
    handle(req, res);
  }
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
