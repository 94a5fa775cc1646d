import { LocationDataset } from '../dataset/location-dataset';

/** A location as GET /locations/{locationId} serves it (GetLocationByIdSchema). */
export function locationView(dataset: LocationDataset) {
  const { dateAdded: _dateAdded, ...location } = dataset.location;

  return {
    ...location,
    business: {
      name: location.name,
      address: location.address,
      city: location.city,
      state: location.state,
      country: location.country,
      postalCode: location.postalCode,
      website: location.website,
      timezone: location.timezone,
    },
    social: {},
  };
}
