import { randomBytes } from 'node:crypto';

import { configProblems, Env, loadConfig } from '@sm/config';

import { authServiceEnv, MAX_TOKEN_REFRESH_MARGIN_SECONDS } from './auth-service.config';

const REQUIRED: Env = {
  GHL_CLIENT_ID: 'spec-app-client',
  GHL_CLIENT_SECRET: 'spec-app-secret',
  GHL_REDIRECT_URI: 'https://sync.example.com/oauth/callback',
  TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  OAUTH_STATE_SECRET: 'spec-state-secret-0123456789abcdef',
  SERVICE_TOKEN: 'spec-service-token-0123456789abcdef',
};

const problemsOf = (env: Env) => configProblems(authServiceEnv, { ...REQUIRED, ...env });

describe('auth-service configuration', () => {
  it('refuses a refresh margin longer than half an access token lives, saying why', () => {
    const problems = problemsOf({ TOKEN_REFRESH_MARGIN_SECONDS: '90000' });

    expect(problems).toEqual([
      'TOKEN_REFRESH_MARGIN_SECONDS: must be at most 43200 ' +
        "(half of a GHL access token's ~24 h life; more refreshes on nearly every request)",
    ]);
  });

  it('takes a refresh margin up to the bound, and 600 s when unset', () => {
    const atBound = String(MAX_TOKEN_REFRESH_MARGIN_SECONDS);

    expect(problemsOf({ TOKEN_REFRESH_MARGIN_SECONDS: atBound })).toEqual([]);
    expect(loadConfig(authServiceEnv, REQUIRED).TOKEN_REFRESH_MARGIN_SECONDS).toBe(600);
  });

  it('refuses every URL that is not http(s), naming each variable', () => {
    const problems = problemsOf({
      GHL_REDIRECT_URI: 'ftp://sync.example.com/oauth/callback',
      GHL_API_BASE_URL: 'ws://services.leadconnectorhq.com',
      GHL_AUTHORIZE_URL: 'javascript:alert(1)',
    });

    expect(problems).toEqual([
      'GHL_API_BASE_URL: must be an http:// or https:// URL',
      'GHL_AUTHORIZE_URL: must be an http:// or https:// URL',
      'GHL_REDIRECT_URI: must be an http:// or https:// URL',
    ]);
  });

  it('refuses a redirect URI with a fragment, which OAuth forbids', () => {
    expect(problemsOf({ GHL_REDIRECT_URI: 'https://sync.example.com/oauth/callback#x' })).toEqual([
      'GHL_REDIRECT_URI: must not have a #fragment',
    ]);
  });
});
