/** Word pools for a solar-sales location's leads. Invented names; any likeness is chance. */

export const FIRST_NAMES = [
  'Olivia',
  'Liam',
  'Emma',
  'Noah',
  'Ava',
  'Elijah',
  'Sophia',
  'James',
  'Isabella',
  'Lucas',
  'Mia',
  'Mateo',
  'Amelia',
  'Benjamin',
  'Harper',
  'Henry',
  'Evelyn',
  'Theodore',
  'Luna',
  'Jack',
  'Camila',
  'Levi',
  'Gianna',
  'Alexander',
  'Aria',
  'Jackson',
  'Ella',
  'Daniel',
  'Nora',
  'Diego',
  'Priya',
  'Wei',
  'Fatima',
  'Kenji',
  'Aaliyah',
  'Santiago',
  'Maya',
  'Omar',
  'Hana',
  'Rosa',
];

export const LAST_NAMES = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Ramirez',
  'Lewis',
  'Robinson',
  'Walker',
  'Young',
  'Allen',
  'King',
  'Wright',
  'Nguyen',
  'Patel',
  'Kim',
  'Chen',
  'Okafor',
];

export const EMAIL_DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'comcast.net'];

export const CITIES: ReadonlyArray<{ city: string; state: string; zip: string; area: string }> = [
  { city: 'Denver', state: 'CO', zip: '802', area: '303' },
  { city: 'Aurora', state: 'CO', zip: '800', area: '720' },
  { city: 'Colorado Springs', state: 'CO', zip: '809', area: '719' },
  { city: 'Boulder', state: 'CO', zip: '803', area: '303' },
  { city: 'Fort Collins', state: 'CO', zip: '805', area: '970' },
  { city: 'Salt Lake City', state: 'UT', zip: '841', area: '801' },
  { city: 'Albuquerque', state: 'NM', zip: '871', area: '505' },
  { city: 'Cheyenne', state: 'WY', zip: '820', area: '307' },
];

export const STREETS = [
  'Maple Ave',
  'Oak St',
  'Sunset Blvd',
  'Cedar Ln',
  'Aspen Way',
  'Pine Ridge Rd',
  'Elm St',
  'Mesa Dr',
  'Juniper Ct',
  'Bluebell Ln',
  'Canyon Rd',
  'Prairie View Dr',
];

export const SOURCES = [
  'website quote form',
  'facebook ads',
  'google ads',
  'referral',
  'door knocking',
  'home show',
];

export const TAGS = [
  'solar-lead',
  'roof-inspection',
  'financing',
  'hot-lead',
  'cold-lead',
  'battery-storage',
  'ev-charger',
  'site-survey-done',
  'proposal-sent',
  'net-metering',
];

export const ROOF_TYPES = ['Asphalt shingle', 'Metal', 'Clay tile', 'Concrete tile', 'Flat / TPO'];

export const FINANCING = ['Cash', 'Solar loan', 'Lease', 'PPA'];

export const UTILITIES = ['Xcel Energy', 'Black Hills Energy', 'Rocky Mountain Power', 'PNM'];

export const BUSINESS_NAMES = [
  'Summit Roofing LLC',
  'Front Range Property Group',
  'Mile High Rentals',
  'Aspen Dental Care',
  'Red Rock Farms',
  'Peak Performance Gym',
  'Cherry Creek Bakery',
];

export const USER_NAMES = [
  'Dana Whitfield',
  'Marco Reyes',
  'Jasmine Cole',
  'Tom Becker',
  'Ana Ruiz',
];

export const TASK_TITLES = [
  'Call about roof inspection',
  'Send financing options',
  'Schedule site survey',
  'Follow up on proposal',
  'Collect last 12 months of utility bills',
  'Confirm HOA approval',
  'Review shading report',
  'Book installation date',
];

export const TASK_BODIES = [
  'Homeowner asked for a call after 5pm.',
  'Compare loan vs lease for them.',
  'Needs a drone survey; roof is steep.',
  'Waiting on signed proposal.',
  'Bill photos requested by text.',
  'Check net-metering eligibility with the utility.',
];

export const NOTE_BODIES = [
  'Average bill around $240/month, higher in summer.',
  'South-facing roof, minimal shading.',
  'Interested in a battery for outages.',
  'Spouse wants to see financing numbers first.',
  'Roof is 18 years old; may need replacement before install.',
  'Referred by a neighbour.',
  'Asked about federal tax credit eligibility.',
  'Prefers email over phone.',
];

export const APPOINTMENT_TITLES = [
  'Solar consultation',
  'Site survey',
  'Proposal review',
  'Roof inspection',
];

export const APPOINTMENT_STATUSES = ['confirmed', 'showed', 'noshow', 'cancelled', 'new'];
