import { InitialSchema1764800000000 } from './1764800000000-initial-schema';
import { NotificationMessage1764813004000 } from './1764813004000-notification-message';
import { SyncReconciliation1764832600000 } from './1764832600000-sync-reconciliation';
import { ActivityAndHealthScore1764840000000 } from './1764840000000-activity-and-health-score';
import { Automation1764850000000 } from './1764850000000-automation';
import { InboxLocationIndex1764861200000 } from './1764861200000-inbox-location-index';
import { ContactActivityGate1764861300000 } from './1764861300000-contact-activity-gate';
import { ConnectionChangeNotices1764870000000 } from './1764870000000-connection-change-notices';
import { OAuthStateExpiryIndex1764870100000 } from './1764870100000-oauth-state-expiry-index';
import { ActivityInsertTriggers1764880000000 } from './1764880000000-activity-insert-triggers';
import { SyncRunAgeIndex1764890000000 } from './1764890000000-sync-run-age-index';
import { NightlyDateZone1764900000000 } from './1764900000000-nightly-date-zone';
import { NotificationRecipients1764902000000 } from './1764902000000-notification-recipients';
import { ContactPhoneExtension1764903000000 } from './1764903000000-contact-phone-extension';
import { ChildrenFetchedAt1764904000000 } from './1764904000000-children-fetched-at';
import { TokenUnreadableEpisodes1764905000000 } from './1764905000000-token-unreadable-episodes';
import { DerivedCreationEntries1764906000000 } from './1764906000000-derived-creation-entries';
import { RedisMarkers1764907000000 } from './1764907000000-redis-markers';
import { FirstSightOutcomes1764908000000 } from './1764908000000-first-sight-outcomes';

/** Every migration, oldest first. A new one is appended here. */
export const ALL_MIGRATIONS = [
  InitialSchema1764800000000,
  NotificationMessage1764813004000,
  SyncReconciliation1764832600000,
  ActivityAndHealthScore1764840000000,
  Automation1764850000000,
  InboxLocationIndex1764861200000,
  ContactActivityGate1764861300000,
  ConnectionChangeNotices1764870000000,
  OAuthStateExpiryIndex1764870100000,
  ActivityInsertTriggers1764880000000,
  SyncRunAgeIndex1764890000000,
  NightlyDateZone1764900000000,
  NotificationRecipients1764902000000,
  ContactPhoneExtension1764903000000,
  ChildrenFetchedAt1764904000000,
  TokenUnreadableEpisodes1764905000000,
  DerivedCreationEntries1764906000000,
  RedisMarkers1764907000000,
  FirstSightOutcomes1764908000000,
];
