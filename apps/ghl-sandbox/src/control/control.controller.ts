import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';

import { SandboxStore } from '../dataset/sandbox-store.service';
import { FaultSettingsError, FaultsService } from '../faults/faults.service';
import { badRequest, notFound } from '../http/ghl-errors';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { WebhookSender } from '../webhooks/webhook-sender.service';
import { SigningMode, WebhookSigner } from '../webhooks/webhook-signer.service';
import { ChangeRequest, ChangesService } from './changes.service';
import { ExportService } from './export.service';
import { StatsService } from './stats.service';

const SIGNING_MODES: SigningMode[] = ['both', 'ed25519', 'rsa', 'none', 'bad'];

/** The sandbox's own API (never part of GHL): see docs/sandbox.md. */
@Controller('_sandbox')
export class ControlController {
  constructor(
    private readonly store: SandboxStore,
    private readonly faults: FaultsService,
    private readonly rateLimits: RateLimitService,
    private readonly stats: StatsService,
    private readonly signer: WebhookSigner,
    private readonly sender: WebhookSender,
    private readonly changes: ChangesService,
    private readonly exports: ExportService,
  ) {}

  @Get('webhook-keys')
  webhookKeys() {
    return this.signer.publicKeys();
  }

  @Get('export/:locationId')
  export(@Param('locationId') locationId: string) {
    const dataset = this.store.location(locationId);
    if (!dataset) throw notFound(`Unknown location ${locationId}`);

    return this.exports.export(dataset);
  }

  @Get('stats')
  statistics() {
    const locations = this.store.all().map((dataset) => ({
      locationId: dataset.id,
      ...dataset.counts(),
    }));

    return { locations, ...this.stats.snapshot() };
  }

  @Get('faults')
  currentFaults() {
    return this.faults.settings;
  }

  @Post('faults')
  @HttpCode(200)
  setFaults(@Body() body: Record<string, unknown>) {
    try {
      return this.faults.update(body ?? {});
    } catch (error) {
      if (error instanceof FaultSettingsError) throw badRequest(error.message);
      throw error;
    }
  }

  @Delete('faults')
  resetFaults() {
    this.rateLimits.reset();

    return this.faults.reset();
  }

  @Put('webhook-target')
  webhookTarget(@Body() body: { url?: string | null }) {
    const url = body?.url ?? undefined;
    if (url !== undefined && !isHttpUrl(url)) throw badRequest('url must be an http(s) URL');
    this.sender.setTarget(url);

    return { url: url ?? null };
  }

  @Get('webhooks')
  webhooks() {
    return { target: this.sender.targetUrl ?? null, deliveries: this.sender.deliveries() };
  }

  @Post('webhooks/send')
  @HttpCode(200)
  async sendWebhook(@Body() body: { payload?: Record<string, unknown>; signing?: SigningMode }) {
    const signing = body?.signing ?? 'both';
    if (!SIGNING_MODES.includes(signing)) {
      throw badRequest(`signing must be one of ${SIGNING_MODES.join(', ')}`);
    }
    if (!body?.payload || typeof body.payload !== 'object') throw badRequest('payload is required');

    return this.sender.deliver(body.payload, signing);
  }

  @Post('locations/:locationId/changes')
  @HttpCode(200)
  change(@Param('locationId') locationId: string, @Body() body: ChangeRequest) {
    return this.changes.apply(locationId, body);
  }

  @Post('reset')
  @HttpCode(200)
  reset() {
    this.store.reset();
    this.rateLimits.reset();

    return { ok: true };
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);

    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
