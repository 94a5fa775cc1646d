import { Inject, Injectable, Logger } from '@nestjs/common';

import { SANDBOX_CONFIG } from '../config/sandbox-config.token';
import { SandboxConfig } from '../config/sandbox.config';
import { generateLocation, locationSeed } from './dataset.generator';
import { LocationDataset } from './location-dataset';
import { Prng } from './prng';
import { RecordFactory } from './record-factory';

/** Every location's data, generated from the seed at boot and on reset. */
@Injectable()
export class SandboxStore {
  private readonly logger = new Logger(SandboxStore.name);
  private datasets = new Map<string, LocationDataset>();
  /** Drives live changes (picks, new records): reseeded on reset so runs repeat. */
  private changePrngs = new Map<string, Prng>();

  constructor(@Inject(SANDBOX_CONFIG) private readonly config: SandboxConfig) {
    this.reset();
  }

  reset(): void {
    const started = Date.now();
    const datasets = new Map<string, LocationDataset>();
    this.config.SANDBOX_LOCATIONS.forEach((spec, index) => {
      datasets.set(
        spec.locationId,
        generateLocation(this.config.SANDBOX_SEED, spec, this.config.SANDBOX_COMPANY_ID, index),
      );
    });
    this.datasets = datasets;
    this.changePrngs = new Map(
      [...datasets.keys()].map((id) => [
        id,
        new Prng(locationSeed(this.config.SANDBOX_SEED, id) ^ 0x5bd1e995),
      ]),
    );
    const contacts = [...datasets.values()].reduce((sum, data) => sum + data.contacts.size, 0);
    this.logger.log({ locations: datasets.size, contacts, ms: Date.now() - started }, 'seeded');
  }

  location(locationId: string): LocationDataset | undefined {
    return this.datasets.get(locationId);
  }

  all(): LocationDataset[] {
    return [...this.datasets.values()];
  }

  /** The PRNG for live changes in a location. */
  changePrng(locationId: string): Prng {
    return this.changePrngs.get(locationId) as Prng;
  }

  factory(dataset: LocationDataset): RecordFactory {
    return new RecordFactory(this.changePrng(dataset.id), {
      locationId: dataset.id,
      timezone: dataset.location.timezone,
      users: dataset.users,
      businesses: dataset.businesses,
      customFields: dataset.customFields,
      calendarId: dataset.calendarId,
    });
  }
}
