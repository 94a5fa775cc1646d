import { randomBytes } from 'node:crypto';

/**
 * The variables whose values are secrets. In k8s they only ever come from a Secret through
 * secretKeyRef; in docker-compose.yml their defaults say they are for development only.
 */
export const SECRET_VARIABLES = [
  'DATABASE_URL',
  'REDIS_URL',
  'GHL_CLIENT_SECRET',
  'TOKEN_ENCRYPTION_KEYS',
  'OAUTH_STATE_SECRET',
  'SERVICE_TOKEN',
  'NOTIFY_TEAM_SLACK_WEBHOOK_URL',
  'NOTIFY_ADMIN_SLACK_WEBHOOK_URL',
  'NOTIFY_TEAM_ROUTES',
  'NOTIFY_TEAM_SIGNED_WEBHOOK_URL',
  'NOTIFY_ADMIN_SIGNED_WEBHOOK_URL',
  'NOTIFY_SMTP_URL',
  'NOTIFY_WEBHOOK_SIGNING_SECRET',
  'READ_API_KEYS',
] as const;

/**
 * Names that look like secrets. A config variable matching one must be in SECRET_VARIABLES (or
 * in NOT_SECRET, with its reason): a new secret cannot slip into a ConfigMap unnoticed.
 */
export const SECRET_LOOKING = /SECRET|PASSWORD|TOKEN(?!_REFRESH|_TTL)|_KEYS?$|WEBHOOK_URL|_ROUTES$/;

/** Names that look like secrets and are not, each with why. */
export const NOT_SECRET: Record<string, string> = {
  SANDBOX_CLIENT_SECRET: "the sandbox's own test credential; the sandbox is never deployed",
  SANDBOX_WEBHOOK_URL: 'where the sandbox posts webhooks in development',
};

export function isSecretVariable(name: string): boolean {
  return (SECRET_VARIABLES as readonly string[]).includes(name);
}

/**
 * A value of the right shape for each secret, generated per run, to run the apps' config
 * validation against the k8s manifests without any real secret.
 */
export function generatedSecretValue(name: string): string {
  const random = () => randomBytes(24).toString('hex');
  switch (name) {
    case 'DATABASE_URL':
      return `postgres://solarmarket:${random()}@postgres.example.internal:5432/solarmarket`;
    case 'REDIS_URL':
      return `redis://:${random()}@redis.example.internal:6379`;
    case 'TOKEN_ENCRYPTION_KEYS':
      return `k1:${randomBytes(32).toString('base64')},k2:${randomBytes(32).toString('base64')}`;
    case 'NOTIFY_TEAM_SLACK_WEBHOOK_URL':
    case 'NOTIFY_ADMIN_SLACK_WEBHOOK_URL':
    case 'NOTIFY_TEAM_SIGNED_WEBHOOK_URL':
    case 'NOTIFY_ADMIN_SIGNED_WEBHOOK_URL':
      return `https://hooks.example.com/services/${random()}`;
    case 'NOTIFY_SMTP_URL':
      return `smtp://notices:${random()}@smtp.example.com:587`;
    case 'READ_API_KEYS':
      return JSON.stringify([
        { name: 'deploy-check', key: random(), locations: ['SMdeployCheck'] },
      ]);
    case 'NOTIFY_TEAM_ROUTES':
      return JSON.stringify({ SMdeployCheckLocation: `https://hooks.example.com/${random()}` });
    default:
      return random();
  }
}
