import { generateKeyPairSync, sign } from 'node:crypto';

import { WebhookIngressConfig } from '../../config/webhook-ingress.config';
import { WebhookRefusal } from '../webhook-refusal';
import { WebhookSignatureService } from './webhook-signature.service';

describe('WebhookSignatureService', () => {
  const ed25519 = generateKeyPairSync('ed25519');
  const rotated = generateKeyPairSync('ed25519');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const service = new WebhookSignatureService({
    WEBHOOK_ED25519_PUBLIC_KEY_FILES: [ed25519, rotated].map(({ publicKey }) => ({
      file: 'test',
      key: publicKey,
    })),
    WEBHOOK_RSA_PUBLIC_KEY_FILES: [{ file: 'test', key: rsa.publicKey }],
  } as unknown as WebhookIngressConfig);
  const body = Buffer.from('{"type":"ContactCreate","locationId":"loc-1"}');
  const ghlSignature = (key = ed25519.privateKey, bytes = body) =>
    sign(null, bytes, key).toString('base64');
  const whSignature = (bytes = body) => sign('sha256', bytes, rsa.privateKey).toString('base64');
  const reasonOf = async (headers: Record<string, string>) => {
    try {
      await service.verify(body, headers);
    } catch (error) {
      return (error as WebhookRefusal).reason;
    }

    return 'verified';
  };

  it('verifies Ed25519 with any configured key, and RSA-SHA256 without Ed25519', async () => {
    await expect(service.verify(body, { 'x-ghl-signature': ghlSignature() })).resolves.toBe(
      'ed25519',
    );
    await expect(
      service.verify(body, { 'x-ghl-signature': ghlSignature(rotated.privateKey) }),
    ).resolves.toBe('ed25519');
    await expect(service.verify(body, { 'x-wh-signature': whSignature() })).resolves.toBe(
      'rsa-sha256',
    );
    await expect(
      service.verify(body, { 'x-ghl-signature': 'N/A', 'x-wh-signature': whSignature() }),
    ).resolves.toBe('rsa-sha256');
  });

  it('refuses a signature over other bytes, a truncated one, and base64 noise', async () => {
    const other = Buffer.from(`${body.toString()} `);

    await expect(
      reasonOf({ 'x-ghl-signature': ghlSignature(ed25519.privateKey, other) }),
    ).resolves.toBe('signature_invalid');
    await expect(reasonOf({ 'x-ghl-signature': ghlSignature().slice(0, 40) })).resolves.toBe(
      'signature_invalid',
    );
    await expect(reasonOf({ 'x-wh-signature': whSignature(other) })).resolves.toBe(
      'signature_invalid',
    );
    await expect(reasonOf({ 'x-wh-signature': '%%%' })).resolves.toBe('signature_invalid');
  });

  it('never falls back to RSA when an Ed25519 signature is present and wrong', async () => {
    // Its first byte's bits flipped: setting its first character to `A` left one signature in
    // 64 as it was (those starting with `A`), and that run saw it verified.
    const wrong = Buffer.from(ghlSignature(), 'base64');
    wrong[0] ^= 0xff;
    const headers = {
      'x-ghl-signature': wrong.toString('base64'),
      'x-wh-signature': whSignature(),
    };

    expect(wrong.toString('base64')).not.toBe(ghlSignature());
    await expect(reasonOf(headers)).resolves.toBe('signature_invalid');
  });

  it('treats a missing header, an empty one and N/A as unsigned', async () => {
    await expect(reasonOf({})).resolves.toBe('signature_missing');
    await expect(reasonOf({ 'x-ghl-signature': ' ', 'x-wh-signature': 'N/A' })).resolves.toBe(
      'signature_missing',
    );
  });
});
