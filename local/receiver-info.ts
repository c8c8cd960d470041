/**
 * What a running `npm start` tells the tools about itself: a small file in its data folder with
 * the engine's endpoint and the table names, so that `DATA_DIR=/tmp/x npm run records` finds a
 * receiver started with `DATA_DIR=/tmp/x DYNAMODB_PORT=8100` without repeating the port.
 */
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchiveTableNames } from '../lambda/table-schema.ts';
import { isRunning } from './data-dir-lock.ts';

/** The file's name inside the data folder. */
export const RECEIVER_INFO_FILE = 'receiver.json';

/** What the file holds. */
export interface ReceiverInfo {
  /** The receiver's process; the file is stale once it is gone. */
  readonly pid: number;
  /** The embedded engine's endpoint, e.g. `http://127.0.0.1:8000`. */
  readonly endpoint: string;
  readonly tables: ArchiveTableNames;
  /** The URL the receiver listens on. */
  readonly url: string;
}

/** Writes the file for this process; resolves with a function that removes it. */
export async function writeReceiverInfo(
  dataDir: string,
  info: Omit<ReceiverInfo, 'pid'>,
): Promise<() => Promise<void>> {
  const path = join(dataDir, RECEIVER_INFO_FILE);
  await writeFile(path, `${JSON.stringify({ pid: process.pid, ...info }, null, 2)}\n`);
  return () => rm(path, { force: true });
}

/**
 * The running receiver's file in `dataDir`, or `undefined` when there is none, it is not one, or
 * its process is gone (a receiver killed without cleaning up leaves a stale file). Synchronous:
 * the settings that read it are.
 */
export function readReceiverInfo(dataDir: string): ReceiverInfo | undefined {
  let value: Partial<ReceiverInfo>;
  try {
    value = JSON.parse(readFileSync(join(dataDir, RECEIVER_INFO_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const { pid, endpoint, tables, url } = value ?? {};
  const wellFormed =
    Number.isInteger(pid) &&
    typeof endpoint === 'string' &&
    typeof url === 'string' &&
    typeof tables?.messages === 'string' &&
    typeof tables.seqs === 'string';
  if (!wellFormed || !isRunning(pid as number)) return undefined;
  return { pid: pid as number, endpoint, tables, url } as ReceiverInfo;
}
