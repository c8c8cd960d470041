/**
 * On paper: what the measured figures mean in AWS. Prices are us-east-1 list prices, and quotas are
 * the documented defaults, as of the date in {@link PRICES_CHECKED}; both change, so each figure
 * names its source constant.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** When the prices and quotas below were last checked. */
export const PRICES_CHECKED = '2025-11 (us-east-1 list prices)';

/** AWS list prices, us-east-1, first tier, in USD. */
export const PRICES = {
  /** API Gateway HTTP API, per million requests (each request up to 512 KB counts once). */
  httpApiPerMillion: 1.0,
  /** Lambda requests, per million. */
  lambdaRequestsPerMillion: 0.2,
  /** Lambda duration on arm64, per GB-second (INIT is billed the same since Aug 1, 2025). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand, per million write request units (after the Nov 2024 price cut). */
  dynamoWriteUnitsPerMillion: 0.625,
  /** CloudWatch Logs ingestion (standard class), per GB. */
  logsIngestionPerGb: 0.5,
} as const;

/** Default quotas and limits that bound the sustained message rate. */
export const QUOTAS = {
  /** API Gateway HTTP API, requests per second per account and region (burst 5,000). */
  httpApiAccountRps: 10_000,
  /** Lambda concurrent executions per account and region (new accounts may start lower). */
  lambdaConcurrency: 1_000,
  /** DynamoDB write units per second a new on-demand table (and each index) takes at once. */
  dynamoNewTableWarmWru: 4_000,
  /** DynamoDB per-table on-demand maximum, write units per second (account quota, raisable). */
  dynamoTableMaxWru: 40_000,
  /** DynamoDB write units per second one partition (one index key value) takes. */
  dynamoPartitionWru: 1_000,
} as const;

/** Memory at which Lambda gives a function one full vCPU (CPU share scales with memory). */
export const FULL_VCPU_MB = 1_769;

/** Assumed in-region `PutItem` round trip with its index updates, in ms (not measured here). */
export const ASSUMED_DYNAMO_PUT_MS = 6;

/** Assumed latency API Gateway adds in front of the function (HTTP API, Lambda proxy), in ms. */
export const ASSUMED_API_GATEWAY_MS = 10;

/** Assumed round trip between OpenIM and the API's region (same region), in ms. */
export const ASSUMED_NETWORK_RTT_MS = 2;

/** Assumed Lambda platform log lines per invocation (START, END, REPORT), in bytes. */
export const PLATFORM_LOG_BYTES = 280;

/** Assumed API Gateway access-log line per request (the stack's JSON format), in bytes. */
export const ACCESS_LOG_BYTES = 330;

/** A number's stored size: about one byte per two significant digits, plus one. */
function numberBytes(text: string): number {
  const digits = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** The size of one attribute value by DynamoDB's item-size rules, in bytes. */
function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined)
    return 3 + value.L.reduce((sum, item) => sum + 1 + valueBytes(item), 0);
  if (value.M !== undefined) return 3 + itemBytes(value.M) + Object.keys(value.M).length;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  return 0;
}

/** An item's size as DynamoDB bills it: attribute names plus values, in bytes. */
export function itemBytes(item: Readonly<Record<string, AttributeValue>>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + valueBytes(value),
    0,
  );
}

/** One line of the cost table. */
export interface CostLine {
  readonly item: string;
  readonly usdPerMillion: number;
  readonly basis: string;
}

/** What the cost per million messages depends on. */
export interface CostInputs {
  /** The stored item's size, in bytes. */
  readonly itemBytes: number;
  /** Global secondary indexes that project the whole item. */
  readonly indexCount: number;
  /** The function's memory, in MB. */
  readonly memoryMB: number;
  /** CPU time per warm invocation, measured on this machine, in ms. */
  readonly warmCpuMs: number;
  /** CPU time of INIT plus the first invocation, measured on this machine, in ms. */
  readonly coldCpuMs: number;
  /** Share of invocations that are cold starts (AWS: "typically under 1%"). */
  readonly coldStartShare: number;
  /** The function's own log bytes per message (measured). */
  readonly functionLogBytes: number;
}

/** CPU share of a function with `memoryMB`, capped at one vCPU. */
export function cpuShare(memoryMB: number): number {
  return Math.min(1, memoryMB / FULL_VCPU_MB);
}

/** Estimated warm duration in Lambda: CPU work slowed by the CPU share, plus the table write. */
export function warmDurationMs(warmCpuMs: number, memoryMB: number): number {
  return warmCpuMs / cpuShare(memoryMB) + ASSUMED_DYNAMO_PUT_MS;
}

/** Estimated INIT plus first invocation in Lambda at `memoryMB`. */
export function coldDurationMs(coldCpuMs: number, memoryMB: number): number {
  return coldCpuMs / cpuShare(memoryMB) + ASSUMED_DYNAMO_PUT_MS;
}

/** Write units one new message costs: the table plus each index, per started KB. */
export function writeUnitsPerMessage(bytes: number, indexCount: number): number {
  return Math.ceil(bytes / 1024) * (1 + indexCount);
}

/** Lambda duration cost of `ms` at `memoryMB`, billed per started ms, per million. */
function lambdaDurationPerMillion(ms: number, memoryMB: number): number {
  return (Math.ceil(ms) / 1000) * (memoryMB / 1024) * PRICES.lambdaArmPerGbSecond * 1e6;
}

/** The cost of one million messages, line by line. */
export function costPerMillion(inputs: CostInputs): CostLine[] {
  const warmMs = warmDurationMs(inputs.warmCpuMs, inputs.memoryMB);
  const initMs = coldDurationMs(inputs.coldCpuMs, inputs.memoryMB) - warmMs;
  const units = writeUnitsPerMessage(inputs.itemBytes, inputs.indexCount);
  const logBytes = inputs.functionLogBytes + PLATFORM_LOG_BYTES + ACCESS_LOG_BYTES;
  return [
    {
      item: 'API Gateway HTTP API',
      usdPerMillion: PRICES.httpApiPerMillion,
      basis: `1 request per message (< 512 KB) × $${PRICES.httpApiPerMillion}/M`,
    },
    {
      item: 'Lambda requests',
      usdPerMillion: PRICES.lambdaRequestsPerMillion,
      basis: `1 invocation per message × $${PRICES.lambdaRequestsPerMillion}/M`,
    },
    {
      item: 'Lambda duration (arm64)',
      usdPerMillion: lambdaDurationPerMillion(warmMs, inputs.memoryMB),
      basis: `${Math.ceil(warmMs)} ms billed × ${inputs.memoryMB} MB (est. ${inputs.warmCpuMs.toFixed(2)} ms CPU ÷ ${(cpuShare(inputs.memoryMB) * 100).toFixed(0)}% vCPU + ${ASSUMED_DYNAMO_PUT_MS} ms PutItem)`,
    },
    {
      item: 'Lambda INIT (billed since Aug 2025)',
      usdPerMillion:
        lambdaDurationPerMillion(Math.max(initMs, 0), inputs.memoryMB) * inputs.coldStartShare,
      basis: `${(inputs.coldStartShare * 100).toFixed(0)}% cold starts × ${Math.ceil(Math.max(initMs, 0))} ms extra at ${inputs.memoryMB} MB`,
    },
    {
      item: 'DynamoDB on-demand writes',
      usdPerMillion: units * PRICES.dynamoWriteUnitsPerMillion,
      basis: `${units} WRU per message (${inputs.itemBytes} B item → ${Math.ceil(inputs.itemBytes / 1024)} KB × (1 table + ${inputs.indexCount} indexes, projection ALL)) × $${PRICES.dynamoWriteUnitsPerMillion}/M`,
    },
    {
      item: 'CloudWatch Logs ingestion',
      usdPerMillion: (logBytes / 2 ** 30) * PRICES.logsIngestionPerGb * 1e6,
      basis: `~${Math.round(logBytes)} B per message (function ${Math.round(inputs.functionLogBytes)} B measured + platform ${PLATFORM_LOG_BYTES} B + access log ${ACCESS_LOG_BYTES} B, assumed) × $${PRICES.logsIngestionPerGb}/GB`,
    },
  ];
}

/** One row of the memory-size table. */
export interface MemoryOption {
  readonly memoryMB: number;
  readonly vcpuShare: number;
  readonly warmMs: number;
  readonly coldMs: number;
  readonly lambdaUsdPerMillion: number;
  readonly initUsdPerColdStart: number;
}

/** The memory sizes the issue asks about, plus the full-vCPU point. */
export const MEMORY_SIZES = [128, 256, 512, 1024, FULL_VCPU_MB] as const;

/** Warm and cold latency and Lambda cost at each memory size, from the measured CPU times. */
export function memoryOptions(warmCpuMs: number, coldCpuMs: number): MemoryOption[] {
  return MEMORY_SIZES.map((memoryMB) => {
    const warmMs = warmDurationMs(warmCpuMs, memoryMB);
    const coldMs = coldDurationMs(coldCpuMs, memoryMB);
    return {
      memoryMB,
      vcpuShare: cpuShare(memoryMB),
      warmMs,
      coldMs,
      lambdaUsdPerMillion:
        lambdaDurationPerMillion(warmMs, memoryMB) + PRICES.lambdaRequestsPerMillion,
      initUsdPerColdStart: lambdaDurationPerMillion(coldMs - warmMs, memoryMB) / 1e6,
    };
  });
}

/** One limit on the sustained message rate. */
export interface RateWall {
  readonly limit: string;
  readonly msgsPerSec: number;
  readonly note: string;
}

/** What bounds the sustained rate, lowest first. */
export function rateWalls(options: {
  readonly stageRateLimit: number;
  readonly stageBurstLimit: number;
  readonly warmDurationMs: number;
  readonly itemBytes: number;
  readonly dayShards: number | undefined;
}): RateWall[] {
  const kb = Math.ceil(options.itemBytes / 1024);
  const walls: RateWall[] = [
    {
      limit: 'API stage throttle (infra/settings.ts)',
      msgsPerSec: options.stageRateLimit,
      note: `burst ${options.stageBurstLimit}; above it API Gateway answers 429 and OpenIM drops the message`,
    },
    {
      limit: 'DynamoDB: one conversation, sender or receiver (one index partition)',
      msgsPerSec: QUOTAS.dynamoPartitionWru / kb,
      note: `${QUOTAS.dynamoPartitionWru} WRU/s per partition key; a hot index key throttles the table write (back-pressure)`,
    },
    {
      limit: 'DynamoDB: new on-demand table (warm throughput)',
      msgsPerSec: QUOTAS.dynamoNewTableWarmWru / kb,
      note: `${QUOTAS.dynamoNewTableWarmWru} WRU/s at once, per table and per index; grows to twice any previous peak`,
    },
    {
      limit: 'API Gateway HTTP API account quota',
      msgsPerSec: QUOTAS.httpApiAccountRps,
      note: 'per account and region, shared by every HTTP API in it (raisable)',
    },
    {
      limit: 'DynamoDB per-table maximum',
      msgsPerSec: QUOTAS.dynamoTableMaxWru / kb,
      note: `${QUOTAS.dynamoTableMaxWru} WRU/s per table (account quota, raisable)`,
    },
    {
      limit: 'Lambda concurrency',
      msgsPerSec: QUOTAS.lambdaConcurrency / (options.warmDurationMs / 1000),
      note: `${QUOTAS.lambdaConcurrency} concurrent executions ÷ ${options.warmDurationMs.toFixed(1)} ms per message (new accounts may have less)`,
    },
  ];
  if (options.dayShards !== undefined) {
    walls.push({
      limit: 'DynamoDB: one day in the byDay index',
      msgsPerSec: (options.dayShards * QUOTAS.dynamoPartitionWru) / kb,
      note: `${options.dayShards} shards × ${QUOTAS.dynamoPartitionWru} WRU/s`,
    });
  }
  return walls.sort((a, b) => a.msgsPerSec - b.msgsPerSec);
}

/** Estimated latency OpenIM sees for one callback in AWS, warm, at `memoryMB`. */
export function awsLatencyMs(warmCpuMs: number, memoryMB: number): number {
  return warmDurationMs(warmCpuMs, memoryMB) + ASSUMED_API_GATEWAY_MS + ASSUMED_NETWORK_RTT_MS;
}

/** OpenIM's ceiling per instance: 2 workers, each waiting for one answer at a time. */
export function openImMsgsPerSec(latencyMs: number): number {
  return 2 / (latencyMs / 1000);
}
