/**
 * OpenIM's tokens: HS256 JWTs signed with the shared secret (claims `UserID`, `PlatformID`, `exp`,
 * `iat`), checked as golang-jwt v4 and OpenIM's `parseToken` check them, with v3.8.3's stateless
 * admin tokens and main's stored ones (a new admin token retires the old ones after five minutes).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { goString, type OpenImVariant } from './fake-openim-json.ts';
import { ADMIN_PLATFORM_ID, ERR } from './fake-openim-protocol.ts';

/** An OpenIM error as the envelope carries it. */
export interface OpenImError {
  errCode: number;
  errMsg: string;
  errDlt: string;
}

/** An error from one of OpenIM's predefined code errors, with its detail text. */
export function codeError(error: readonly [number, string], errDlt = ''): OpenImError {
  return { errCode: error[0], errMsg: error[1], errDlt };
}

/**
 * A Go panic inside an RPC, as the API reports it: v3.8.3's client interceptor puts the gRPC code
 * (2, Unknown) in errCode with the panic text (its stack frames left out here); main converts it
 * to a 500 "panic error" code error.
 */
export function panicError(variant: OpenImVariant, cause: string): OpenImError {
  return variant === 'main'
    ? { errCode: 500, errMsg: 'panic error', errDlt: cause }
    : { errCode: 2, errMsg: `Error: 500 panic error ${cause}`, errDlt: '' };
}

/** The claims OpenIM reads from a token. */
export interface TokenClaims {
  userID: string;
  platformID: number;
  /** Unix seconds, when present. */
  exp: number | undefined;
}

/** Token lifetime in days (`tokenPolicy.expire`, default 90). */
export const TOKEN_EXPIRE_DAYS = 90;

const TEMPORARY_MS = 5 * 60 * 1000;

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** Go's `base64.RawURLEncoding.DecodeString`, or undefined where Go fails. */
function decodeSegment(segment: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(segment) || segment.length % 4 === 1) return undefined;
  return Buffer.from(segment, 'base64url');
}

const HMAC: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$/;

/** Signs claims as `jwt.NewWithClaims(SigningMethodHS256, claims).SignedString(secret)` does. */
export function signToken(
  claims: { UserID: string; PlatformID: number; exp?: number; iat?: number; nbf?: number },
  secret: string,
): string {
  // The header is a Go map, so its keys come out sorted; the claims follow the struct order.
  const header = base64url('{"alg":"HS256","typ":"JWT"}');
  const parts = [`"UserID":${goString(claims.UserID)}`, `"PlatformID":${claims.PlatformID}`];
  if (claims.exp !== undefined) parts.push(`"exp":${claims.exp}`);
  if (claims.nbf !== undefined) parts.push(`"nbf":${claims.nbf}`);
  if (claims.iat !== undefined) parts.push(`"iat":${claims.iat}`);
  const payload = base64url(`{${parts.join(',')}}`);
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  return `${header}.${payload}.${base64url(signature)}`;
}

/** Finds a claim the way Go's decoder matches keys: exactly, else ignoring ASCII case. */
function claim(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  const folded = name.toUpperCase();
  const key = Object.keys(claims).find((k) => k.toUpperCase() === folded);
  return key === undefined ? undefined : claims[key];
}

/** A `NumericDate` claim in seconds, undefined when absent, NaN when Go cannot decode it. */
function numericDate(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value))
    return Number(value);
  return Number.NaN;
}

/**
 * `tokenverify.GetClaimFromToken`: golang-jwt v4's parse and checks, mapped to OpenIM's codes
 * (1503 malformed, 1501 expired, 1504 not valid yet, 1505 anything else).
 */
export function verifyToken(
  token: string,
  secret: string,
  nowMs: number,
): { claims: TokenClaims } | { error: OpenImError } {
  const fail = (code: readonly [number, string]) => ({
    error: codeError(code, `${code[0]} ${code[1]} jwt parse error, token=${token}`),
  });
  const parts = token.split('.');
  if (parts.length !== 3) return fail(ERR.tokenMalformed);
  const [headerPart = '', claimsPart = '', signaturePart = ''] = parts;
  let header: unknown;
  let claims: unknown;
  try {
    const headerBytes = decodeSegment(headerPart);
    const claimsBytes = decodeSegment(claimsPart);
    if (!headerBytes || !claimsBytes) return fail(ERR.tokenMalformed);
    header = JSON.parse(headerBytes.toString('utf8'));
    claims = JSON.parse(claimsBytes.toString('utf8'));
  } catch {
    return fail(ERR.tokenMalformed);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return fail(ERR.tokenMalformed);
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    return fail(ERR.tokenMalformed);
  }
  const fields = claims as Record<string, unknown>;
  const userID = claim(fields, 'UserID');
  const platformID = claim(fields, 'PlatformID');
  const dates = { exp: 0, iat: 0, nbf: 0 } as Record<'exp' | 'iat' | 'nbf', number | undefined>;
  for (const name of ['exp', 'iat', 'nbf'] as const) dates[name] = numericDate(claim(fields, name));
  const badString = (v: unknown) => v !== undefined && v !== null && typeof v !== 'string';
  if (
    badString(userID) ||
    (platformID !== undefined &&
      platformID !== null &&
      !(typeof platformID === 'number' && Number.isInteger(platformID))) ||
    Object.values(dates).some((d) => Number.isNaN(d)) ||
    ['iss', 'sub', 'jti'].some((name) => badString(claim(fields, name)))
  ) {
    return fail(ERR.tokenMalformed);
  }
  const alg = (header as Record<string, unknown>).alg;
  const unverifiable = (text: string) => ({
    error: codeError([ERR.tokenUnknown[0], text], `1505 ${text} jwt parse error, token=${token}`),
  });
  if (typeof alg !== 'string') return unverifiable('signing method (alg) is unspecified.');
  if (alg !== 'none' && !(alg in HMAC) && !ASYMMETRIC.test(alg)) {
    return unverifiable('signing method (alg) is unavailable.');
  }
  let expired = false;
  let notValidYet = false;
  let inner: string | undefined;
  if (dates.exp !== undefined && !(nowMs < dates.exp * 1000)) {
    expired = true;
    inner = 'token is expired';
  }
  if (dates.iat !== undefined && nowMs < dates.iat * 1000) inner = 'token used before issued';
  if (dates.nbf !== undefined && nowMs < dates.nbf * 1000) {
    notValidYet = true;
    inner = 'token is not valid yet';
  }
  // golang-jwt checks the signature after the claims, and its error replaces theirs.
  const hash = HMAC[alg];
  if (alg === 'none') inner = "'none' signature type is not allowed";
  else if (hash === undefined) inner = 'key is of invalid type';
  else {
    const signature = decodeSegment(signaturePart);
    const expected = createHmac(hash, secret).update(`${headerPart}.${claimsPart}`).digest();
    if (!signature) inner = 'illegal base64 data';
    else if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      inner = 'signature is invalid';
    }
  }
  if (expired) return fail(ERR.tokenExpired);
  if (notValidYet) return fail(ERR.tokenNotValidYet);
  if (inner !== undefined) {
    return {
      error: codeError(
        [ERR.tokenUnknown[0], inner],
        `1505 ${inner} jwt parse error, token=${token}`,
      ),
    };
  }
  return {
    claims: {
      userID: typeof userID === 'string' ? userID : '',
      platformID: typeof platformID === 'number' ? platformID : 0,
      exp: dates.exp,
    },
  };
}

type TokenState = 'normal' | 'kicked';

/** The token cache (Redis on a real server) and the rules each variant applies to it. */
export class TokenStore {
  readonly #variant: OpenImVariant;
  readonly #secret: string;
  readonly #admins: readonly string[];
  readonly #now: () => number;
  /** `UID_PID_TOKEN_STATUS:<user>:<platform>` → token → state, in creation order. */
  readonly #tokens = new Map<string, Map<string, TokenState>>();
  /** main's temporary keys: token → when it stops being accepted (ms). */
  readonly #temporary = new Map<string, number>();

  constructor(options: {
    variant: OpenImVariant;
    secret: string;
    adminUserIDs: readonly string[];
    now: () => number;
  }) {
    this.#variant = options.variant;
    this.#secret = options.secret;
    this.#admins = options.adminUserIDs;
    this.#now = options.now;
  }

  #key(userID: string, platformID: number): string {
    return `${userID}\u0000${platformID}`;
  }

  #isAdmin(userID: string): boolean {
    return this.#admins.includes(userID);
  }

  /** `authDatabase.CreateToken`: a fresh token, stored according to the variant's rules. */
  create(userID: string, platformID: number): string {
    const nowMs = this.#now();
    const seconds = Math.floor(nowMs / 1000);
    const token = signToken(
      {
        UserID: userID,
        PlatformID: platformID,
        exp: seconds + TOKEN_EXPIRE_DAYS * 24 * 60 * 60,
        iat: Math.floor((nowMs - 5000) / 1000),
      },
      this.#secret,
    );
    if (this.#variant === 'v3.8.3') {
      // v3.8.3 never stores an admin's token: any valid one is accepted.
      if (!this.#isAdmin(userID)) this.#set(userID, platformID, token);
      return token;
    }
    // main: drop dead tokens; an admin's earlier admin tokens live on for five minutes only.
    for (const [key, tokens] of this.#tokens) {
      if (!key.startsWith(`${userID}\u0000`)) continue;
      const keyPlatform = Number(key.slice(userID.length + 1));
      for (const [old, state] of [...tokens]) {
        const valid = 'claims' in verifyToken(old, this.#secret, nowMs);
        if (!valid || state !== 'normal') tokens.delete(old);
        else if (keyPlatform === ADMIN_PLATFORM_ID && platformID === ADMIN_PLATFORM_ID) {
          this.#temporary.set(`${key}\u0000${old}`, nowMs + TEMPORARY_MS);
          tokens.delete(old);
        }
      }
    }
    this.#set(userID, platformID, token);
    return token;
  }

  #set(userID: string, platformID: number, token: string): void {
    const key = this.#key(userID, platformID);
    let tokens = this.#tokens.get(key);
    if (!tokens) {
      tokens = new Map();
      this.#tokens.set(key, tokens);
    }
    tokens.set(token, 'normal');
  }

  /** Marks every token of the user (on one platform, or all) as kicked, as a forced logout does. */
  kick(userID: string, platformID?: number): void {
    for (const [key, tokens] of this.#tokens) {
      if (!key.startsWith(`${userID}\u0000`)) continue;
      if (platformID !== undefined && key !== this.#key(userID, platformID)) continue;
      for (const token of tokens.keys()) tokens.set(token, 'kicked');
    }
  }

  /** `authServer.parseToken`: the token's claims, or the error every route answers with. */
  parse(token: string): { claims: TokenClaims } | { error: OpenImError } {
    const nowMs = this.#now();
    const verified = verifyToken(token, this.#secret, nowMs);
    if ('error' in verified) return verified;
    const { userID, platformID } = verified.claims;
    const isAdmin = this.#isAdmin(userID);
    if (this.#variant === 'v3.8.3' && isAdmin) return verified;
    const key = this.#key(userID, platformID);
    const tokens = this.#tokens.get(key);
    const state = tokens?.get(token);
    if (state === 'normal') return verified;
    if (state === 'kicked') return { error: codeError(ERR.tokenKicked, ERR.tokenKicked[1]) };
    if (this.#variant === 'main' && isAdmin) {
      const until = this.#temporary.get(`${key}\u0000${token}`);
      if (until !== undefined && nowMs < until) return verified;
    }
    return { error: codeError(ERR.tokenNotExist, ERR.tokenNotExist[1]) };
  }
}
