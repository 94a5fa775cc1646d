import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ConfigError, loadConfig } from '@sm/config';

import { GHL_ED25519_KEY_FILE, webhookIngressConfigSchema } from './webhook-ingress.config';

describe('webhook-ingress configuration', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ingress-config-'));
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicFile = path.join(dir, 'ed25519.pem');
  const privateFile = path.join(dir, 'ed25519-private.pem');
  writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("defaults to GHL's published keys, one per scheme, parsed at load time", () => {
    const config = loadConfig(webhookIngressConfigSchema, {});

    expect(config.PORT).toBe(3002);
    expect(config.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS).toBe(300);
    expect(config.WEBHOOK_MAX_BODY_BYTES).toBe(1024 * 1024);
    expect(config.WEBHOOK_ED25519_PUBLIC_KEY_FILES.map((key) => key.key.asymmetricKeyType)).toEqual(
      ['ed25519'],
    );
    expect(config.WEBHOOK_RSA_PUBLIC_KEY_FILES[0].key.asymmetricKeyDetails?.modulusLength).toBe(
      4096,
    );
  });

  it('accepts several keys per scheme, and no RSA key at all', () => {
    const config = loadConfig(webhookIngressConfigSchema, {
      WEBHOOK_ED25519_PUBLIC_KEY_FILES: `${publicFile}, ${GHL_ED25519_KEY_FILE}`,
      WEBHOOK_RSA_PUBLIC_KEY_FILES: '',
    });

    expect(config.WEBHOOK_ED25519_PUBLIC_KEY_FILES).toHaveLength(2);
    expect(config.WEBHOOK_RSA_PUBLIC_KEY_FILES).toHaveLength(0);
  });

  it.each([
    ['a missing file', path.join(dir, 'absent.pem'), /ENOENT/],
    ['a private key', privateFile, /private key/],
    ['a key of the other scheme', 'vendor/ghl/keys/ghl-webhook-rsa-x-wh-signature.pem', /rsa key/],
  ])('stops at boot on %s, naming the variable', (_what, file, problem) => {
    const load = () =>
      loadConfig(webhookIngressConfigSchema, { WEBHOOK_ED25519_PUBLIC_KEY_FILES: file });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/WEBHOOK_ED25519_PUBLIC_KEY_FILES/);
    expect(load).toThrow(problem);
  });

  it('refuses a configuration without any key', () => {
    const load = () =>
      loadConfig(webhookIngressConfigSchema, {
        WEBHOOK_ED25519_PUBLIC_KEY_FILES: '',
        WEBHOOK_RSA_PUBLIC_KEY_FILES: '',
      });

    expect(load).toThrow(/no webhook public key/);
  });
});
