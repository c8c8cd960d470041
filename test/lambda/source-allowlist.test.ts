import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeCidr, parseSourceAllowlist } from '../../lambda/source-allowlist.ts';

describe('source allowlist entries', () => {
  it('reads every IPv4 address and prefix the way BlockList matches them', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (address, prefix) => {
        // GIVEN an address and a prefix length
        const entry = `${address}/${prefix}`;

        // WHEN it is read as an entry and as a one-entry allowlist
        const normalized = normalizeCidr(entry);
        const list = parseSourceAllowlist(entry);

        // THEN it is kept as written, and the address itself is inside it
        expect(normalized).toBe(entry);
        expect(list.check(address, 'ipv4')).toBe(true);
      }),
    );
  });

  it('reads a bare address as that one host', () => {
    expect(normalizeCidr('198.51.100.7')).toBe('198.51.100.7/32');
    expect(normalizeCidr('2001:db8::1')).toBe('2001:db8::1/128');
    const list = parseSourceAllowlist(' 198.51.100.7 , 2001:db8::/32 ');
    expect(list.check('198.51.100.7', 'ipv4')).toBe(true);
    expect(list.check('198.51.100.8', 'ipv4')).toBe(false);
    expect(list.check('2001:db8::99', 'ipv6')).toBe(true);
  });

  it.each([
    '10.0.0.0/33',
    '10.0.0.0/8/9',
    'fe80::1%eth0',
    'example.com',
    '10.0.0.0/x',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/ 8',
    '::/129',
  ])('refuses %s, in the function and in the settings alike', (entry) => {
    expect(normalizeCidr(entry)).toBeUndefined();
    expect(() => parseSourceAllowlist(`203.0.113.0/24,${entry}`)).toThrow(
      `"${entry.trim()}" is not an IPv4 or IPv6 address or CIDR`,
    );
  });
});
