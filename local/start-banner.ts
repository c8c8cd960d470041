/**
 * What `npm start` prints once it listens: where, with which access rules, and the `webhooks.yml`
 * lines (and the same as OpenIM's environment variables) that reach it, from OpenIM on this
 * machine or in a container.
 */
import { CALLBACKS, webhooksEnv, webhooksYaml } from '../lambda/callbacks.ts';
import type { ArchiveTableNames } from '../lambda/table-schema.ts';
import { isEveryInterface, isLoopback } from './local-settings.ts';

/** The name Docker gives the host machine inside a container (Linux needs `--add-host`). */
export const DOCKER_HOST_NAME = 'host.docker.internal';

/** What the banner reports. */
export interface BannerFacts {
  /** The address listened on, as `HOST` set it. */
  readonly host: string;
  /** The port actually bound. */
  readonly port: number;
  /** The user OpenIM must present, or `undefined` when no credentials are checked. */
  readonly username: string | undefined;
  /** The source addresses allowed to post, or `undefined` for any. */
  readonly allowedSources?: readonly string[] | undefined;
  readonly engineEndpoint: string;
  readonly tables: ArchiveTableNames;
  readonly dataDir: string;
  readonly spoolDir: string;
  /** Records waiting in the spool. */
  readonly waiting: number;
  /** Records an earlier replay could not store, kept in the spool's `failed/` folder. */
  readonly failed?: number;
}

/** `host:port` for a URL, with an IPv6 address in brackets. */
export function authority(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The URL OpenIM should post to; a wildcard address is no destination, so Docker's name for us. */
export function openImUrl({ host, port, username }: BannerFacts): string {
  const target = isEveryInterface(host) ? DOCKER_HOST_NAME : host;
  const userinfo = username ? `${encodeURIComponent(username)}:PASSWORD@` : '';
  return `http://${userinfo}${authority(target, port)}`;
}

/** Text indented by two spaces, line by line. */
function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}

/** The banner `npm start` prints once it listens. */
export function startBanner(facts: BannerFacts): string {
  const { host, port, username, waiting, allowedSources } = facts;
  const where = isEveryInterface(host) ? ' (every interface of this machine)' : '';
  const credentials = username
    ? `Basic credentials required (WEBHOOK_CREDENTIALS, user "${username}")`
    : 'OPEN: no credentials are checked (set WEBHOOK_CREDENTIALS=user:password to require them)';
  const sources =
    allowedSources === undefined
      ? 'from any source address (set ALLOWED_SOURCE_CIDRS to limit them)'
      : allowedSources.length === 0
        ? 'from NO source address: ALLOWED_SOURCE_CIDRS lists none'
        : `only from ${allowedSources.join(', ')} (ALLOWED_SOURCE_CIDRS); others get 403`;
  const failed = facts.failed
    ? `\n  fallback: ${facts.failed} message(s) an earlier replay could not store wait in ` +
      `${facts.spoolDir}/failed; npm run replay tries them again and says why\n`
    : '';
  const backlog =
    (waiting
      ? `\n  fallback: ${waiting} message(s) wait in ${facts.spoolDir}; store them with: npm run replay\n`
      : '') + failed;
  const reach = isLoopback(host)
    ? ''
    : isEveryInterface(host)
      ? `
That url is for OpenIM in Docker on this machine (on Linux, run its container with
--add-host=${DOCKER_HOST_NAME}:host-gateway), or use the docker bridge address
(often 172.17.0.1) instead of ${DOCKER_HOST_NAME}. From another machine, use this one's address.
`
      : '';
  return `
OpenIM callback receiver listening on http://${authority(host, port)}${where}
  storage: DynamoDB-compatible engine at ${facts.engineEndpoint}, tables "${facts.tables.messages}" and "${facts.tables.seqs}", data in ${facts.dataDir}
  stores:  ${CALLBACKS.map((c) => `${c.webhooksKey}: ${c.summary}`).join('\n           ')}
  access:  ${credentials}
           ${sources}${backlog}

Point OpenIM at it in config/webhooks.yml${username ? ' (PASSWORD: the one in WEBHOOK_CREDENTIALS)' : ''}:

${indent(webhooksYaml(openImUrl(facts)))}
or, where OpenIM is configured by environment variables (as in Docker), with these:

${indent(webhooksEnv(openImUrl(facts)))}${reach}
Browse the records with: npm run console
Stop with Ctrl-C; requests in flight are answered and stored first.
`;
}
