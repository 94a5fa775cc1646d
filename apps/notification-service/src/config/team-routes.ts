import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';

import { url } from '@sm/config';

/**
 * An http(s) URL that is a secret: whoever holds an incoming-webhook URL can post to the channel.
 * Problems name the variable, never the value, and the URL is never logged. It is the shared
 * http(s) field: without a user name or password, which fetch refuses on every delivery.
 */
export const webhookUrl = () => url();

export const emailAddress = () => z.email({ message: 'must be an email address' });

/** The longest From a header takes whole: past it, mail clients fold or cut the name. */
const SENDER_LIMIT = 200;

/**
 * A sender: one address, alone or after a display name (`SolarMarket <notices@example.com>`).
 * It is read with nodemailer's own address parser, the one that writes the From header, so what
 * passes here is what the mail carries; the address it finds must be an email address.
 */
export const emailSender = () =>
  z
    .string()
    .max(SENDER_LIMIT, { message: `must be at most ${SENDER_LIMIT} characters` })
    .refine(isOneAddress, {
      message: 'must be an email address, alone or as Name <address>',
    });

function isOneAddress(sender: string): boolean {
  const mailboxes = addressparser(sender);
  if (mailboxes.length !== 1) return false;
  const [mailbox] = mailboxes;

  return mailbox.group === undefined && emailAddress().safeParse(mailbox.address).success;
}

/** A list of email addresses, as JSON (in routes) or comma-separated (in a variable of its own). */
export const emailList = () => z.array(emailAddress()).min(1, { message: 'must list an address' });

const routeId = (what: string) =>
  z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: `keys must be ${what}` });

/** Where one audience's messages go: at most one destination per channel. */
export interface ChannelSet {
  /** A Slack-compatible incoming-webhook URL. */
  slack?: string;
  /** Recipients of one email per message. */
  email?: string[];
  /** An internal service's URL, sent an HMAC-signed JSON body. */
  webhook?: string;
}

export interface TeamRoute {
  /** GHL user ids: a task assigned to one of them notifies this team. */
  users: string[];
  channels: ChannelSet;
}

export interface LocationRoute {
  /** The location's own channels: for tasks whose assignee is in none of its teams. */
  channels: ChannelSet;
  teams: Record<string, TeamRoute>;
}

const channelFields = {
  slack: webhookUrl().optional(),
  email: emailList().optional(),
  webhook: webhookUrl().optional(),
};

const pickChannels = (route: ChannelSet): ChannelSet =>
  Object.fromEntries(
    Object.entries({ slack: route.slack, email: route.email, webhook: route.webhook }).filter(
      ([, destination]) => destination !== undefined,
    ),
  );

const hasAChannel = (route: ChannelSet) => Object.keys(pickChannels(route)).length > 0;

const teamRoute = z
  .strictObject({
    ...channelFields,
    users: z.array(z.string().min(1).max(64)).min(1, { message: 'must list a user id' }),
  })
  .refine(hasAChannel, { message: 'must name a channel (slack, email or webhook)' })
  .transform((team): TeamRoute => ({ users: team.users, channels: pickChannels(team) }));

const locationRoute = z
  .strictObject({ ...channelFields, teams: z.record(routeId('team names'), teamRoute).optional() })
  .superRefine((location, context) => {
    const teamOfUser = new Map<string, string>();
    for (const [team, route] of Object.entries(location.teams ?? {})) {
      for (const user of route.users) {
        const other = teamOfUser.get(user);
        if (other) {
          context.addIssue({
            code: 'custom',
            path: ['teams', team, 'users'],
            message: `user ${user} is also in team ${other}: a user belongs to one team`,
          });
        }
        teamOfUser.set(user, team);
      }
    }
  })
  .transform((location): LocationRoute => ({
    channels: pickChannels(location),
    teams: location.teams ?? {},
  }));

/** The older form of a route: a location's Slack webhook URL, and nothing else. */
const slackOnlyRoute = webhookUrl().transform((slack): LocationRoute => ({
  channels: { slack },
  teams: {},
}));

/**
 * NOTIFY_TEAM_ROUTES, as JSON: each location id maps to its Slack webhook URL, or to a route
 * object that names its channels and its teams:
 *
 *   { "loc-1": "https://hooks.example/T/B/x",
 *     "loc-2": { "slack": "https://…", "email": ["sales@example.com"], "webhook": "https://…",
 *                "teams": { "roofing": { "users": ["ghl-user-id"],
 *                                        "email": ["roof@example.com"] } } } }
 *
 * A location without an entry uses the NOTIFY_TEAM_* defaults.
 */
export const teamRoutes = () =>
  z
    .string()
    .optional()
    .transform((value, context): unknown => {
      if (value === undefined || value.trim() === '') return {};
      try {
        return JSON.parse(value);
      } catch {
        context.addIssue({ code: 'custom', message: 'must be a JSON object' });

        return z.NEVER;
      }
    })
    .pipe(
      z.record(
        routeId('location ids'),
        z.unknown().transform((route, context): LocationRoute => {
          // A hand-made union: zod's own reports only "invalid" once a branch has refinements.
          const result = (typeof route === 'string' ? slackOnlyRoute : locationRoute).safeParse(
            route,
          );
          if (result.success) return result.data;
          for (const issue of result.error.issues) {
            context.addIssue({ code: 'custom', path: issue.path, message: issue.message });
          }

          return z.NEVER;
        }),
        { message: 'must map location ids to webhook URLs or route objects' },
      ),
    );

/** Every channel set a routing configuration names, to check that their channels are set up. */
export function everyChannelSet(routes: Record<string, LocationRoute>): ChannelSet[] {
  return Object.values(routes).flatMap((location) => [
    location.channels,
    ...Object.values(location.teams).map((team) => team.channels),
  ]);
}
