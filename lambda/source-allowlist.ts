/**
 * Who may post, by source address: the one parser of allowlist entries, used by the function
 * (`ALLOWED_SOURCE_CIDRS`), `npm start` and the deployment settings (`allowedSourceCidrs`), and the
 * middleware that refuses other sources.
 */
import { BlockList, isIP } from 'node:net';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { callbackError } from './openim-response.ts';

/**
 * One entry as `address/prefix`, or `undefined` if it is not an IPv4/IPv6 address or CIDR. A bare
 * address is one host. Zone IDs (`fe80::1%eth0`) and extra slashes are refused.
 */
export function normalizeCidr(entry: string): string | undefined {
  const parts = entry.trim().split('/');
  const [address = '', prefixText] = parts;
  const family = isIP(address);
  if (parts.length > 2 || family === 0 || address.includes('%')) return undefined;
  const maxPrefix = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (prefix > maxPrefix) return undefined;
  return `${address}/${prefix}`;
}

/** Comma-separated entries, trimmed, empty ones dropped. */
export function splitEntries(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/** The entries as a `BlockList`; throws naming every entry that is not an address or CIDR. */
export function parseSourceAllowlist(text: string): BlockList {
  const entries = splitEntries(text).map((entry) => ({ entry, cidr: normalizeCidr(entry) }));
  const bad = entries.filter(({ cidr }) => cidr === undefined).map(({ entry }) => `"${entry}"`);
  if (bad.length > 0) {
    throw new Error(
      `${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} not an IPv4 or IPv6 address or CIDR`,
    );
  }
  const list = new BlockList();
  for (const { cidr = '' } of entries) {
    const [address = '', prefix] = cidr.split('/');
    list.addSubnet(address, Number(prefix), isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** Where the allowlist is set: the CDK context key in AWS, the environment variable locally. */
export const ALLOWLIST_SETTING = {
  deployed: 'allowedSourceCidrs',
  local: 'ALLOWED_SOURCE_CIDRS',
} as const;

/** The setting a person changes to allow a source: the CDK key in Lambda, else the variable. */
export function allowlistSetting(env: { readonly AWS_LAMBDA_FUNCTION_NAME?: string | undefined }) {
  return env.AWS_LAMBDA_FUNCTION_NAME ? ALLOWLIST_SETTING.deployed : ALLOWLIST_SETTING.local;
}

/**
 * Refuses, with 403, requests whose source IP is outside the allowlist; the answer names the
 * source and `setting`, where it would be added.
 */
export function sourceIpAllowlist(
  allowed: BlockList,
  setting: string = ALLOWLIST_SETTING.deployed,
): MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: (request) => {
      const sourceIp = request.event.requestContext?.http?.sourceIp ?? '';
      const family = isIP(sourceIp);
      if (family !== 0 && allowed.check(sourceIp, family === 6 ? 'ipv6' : 'ipv4')) return;
      throw callbackError(
        403,
        'This source address may not post callbacks',
        `${sourceIp || 'the source'} is not in ${setting}: add the OpenIM server address to it`,
      );
    },
  };
}
