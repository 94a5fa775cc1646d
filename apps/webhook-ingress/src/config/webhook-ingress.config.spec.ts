import { KeyObject, createPublicKey, generateKeyPairSync } from 'node:crypto';
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
  const twoKeysFile = path.join(dir, 'two-keys.pem');
  const rotatedIn = generateKeyPairSync('ed25519').publicKey;
  writeFileSync(
    twoKeysFile,
    [publicKey, rotatedIn].map((key) => key.export({ type: 'spki', format: 'pem' })).join(''),
  );
  const writeKey = (name: string, key: KeyObject) => {
    const file = path.join(dir, name);
    writeFileSync(file, key.export({ type: 'spki', format: 'pem' }));

    return file;
  };
  const ed25519Point = (hex: string) =>
    createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') },
      format: 'jwk',
    });
  // The identity (y = 1) and a point of order 8: with either, node:crypto accepts R = identity,
  // S = 0 over any body.
  const identityFile = writeKey('identity.pem', ed25519Point(`01${'00'.repeat(31)}`));
  const order8File = writeKey(
    'order-8.pem',
    ed25519Point('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
  );
  const rsaWith = (modulusLength: number, exponent: string) => {
    const jwk = generateKeyPairSync('rsa', { modulusLength }).publicKey.export({ format: 'jwk' });

    return createPublicKey({ key: { ...jwk, e: exponent }, format: 'jwk' });
  };
  const rsaExponent1File = writeKey('rsa-e1.pem', rsaWith(2048, 'AQ'));
  const rsa1024File = writeKey('rsa-1024.pem', rsaWith(1024, 'AQAB'));

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("defaults to GHL's published keys, one per scheme, parsed at load time", () => {
    const config = loadConfig(webhookIngressConfigSchema, {});

    expect(config.PORT).toBe(3002);
    expect(config.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS).toBe(300);
    expect(config.WEBHOOK_MAX_BODY_BYTES).toBe(1024 * 1024);
    expect(config.WEBHOOK_INBOX_RETENTION_DAYS).toBe(30);
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
    ['a file of two keys (the second would be ignored)', twoKeysFile, /holds 2 keys/],
  ])('stops at boot on %s, naming the variable', (_what, file, problem) => {
    const load = () =>
      loadConfig(webhookIngressConfigSchema, { WEBHOOK_ED25519_PUBLIC_KEY_FILES: file });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/WEBHOOK_ED25519_PUBLIC_KEY_FILES/);
    expect(load).toThrow(problem);
  });

  it.each([
    [
      'the identity point',
      'WEBHOOK_ED25519_PUBLIC_KEY_FILES',
      identityFile,
      /prime-order subgroup/,
    ],
    ['a point of order 8', 'WEBHOOK_ED25519_PUBLIC_KEY_FILES', order8File, /prime-order subgroup/],
    ['an RSA exponent of 1', 'WEBHOOK_RSA_PUBLIC_KEY_FILES', rsaExponent1File, /exponent 1,/],
    ['a 1024-bit RSA key', 'WEBHOOK_RSA_PUBLIC_KEY_FILES', rsa1024File, /1024-bit/],
  ])(
    'stops at boot on a weak key (%s), naming the variable and the file',
    (_w, name, file, why) => {
      const load = () => loadConfig(webhookIngressConfigSchema, { [name]: file });

      expect(load).toThrow(ConfigError);
      expect(load).toThrow(name);
      expect(load).toThrow(file);
      expect(load).toThrow(why);
    },
  );

  it('refuses an inbox retention that is not 1 to 3,650 whole days, saying which rule', () => {
    const load = (days: string) => () =>
      loadConfig(webhookIngressConfigSchema, { WEBHOOK_INBOX_RETENTION_DAYS: days });

    expect(load('0')).toThrow(/WEBHOOK_INBOX_RETENTION_DAYS.*must be greater than 0/);
    expect(load('0.5')).toThrow(/WEBHOOK_INBOX_RETENTION_DAYS.*must be a whole number/);
    // Past Postgres' dates the prune's SQL would fail on every interval.
    expect(load('100000000')).toThrow(/WEBHOOK_INBOX_RETENTION_DAYS.*must be at most 3650/);
    expect(load('days')).toThrow(/WEBHOOK_INBOX_RETENTION_DAYS.*must be a number/);
    expect(
      loadConfig(webhookIngressConfigSchema, { WEBHOOK_INBOX_RETENTION_DAYS: '3650' }),
    ).toMatchObject({ WEBHOOK_INBOX_RETENTION_DAYS: 3650 });
  });

  it('refuses a sweep interval longer than a Node timer holds (it would fire every 1 ms)', () => {
    const attempt = () =>
      loadConfig(webhookIngressConfigSchema, { WEBHOOK_SWEEP_INTERVAL_SECONDS: '2147484' });

    expect(attempt).toThrow(/WEBHOOK_SWEEP_INTERVAL_SECONDS: must be at most 2147483 \(/);
    expect(
      loadConfig(webhookIngressConfigSchema, { WEBHOOK_SWEEP_INTERVAL_SECONDS: '2147483' })
        .WEBHOOK_SWEEP_INTERVAL_SECONDS,
    ).toBe(2_147_483);
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
