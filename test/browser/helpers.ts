import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium; the tests never download a browser. */
export const CHROMIUM = process.env.RINGMASTER_CHROMIUM ?? "/usr/bin/chromium";

const MISSING = `${CHROMIUM} is missing (install Debian's chromium: apt-get install -y --no-install-recommends chromium)`;

/**
 * Why the browser tests are skipped here, or undefined when they run. Only a missing browser
 * outside CI skips them; under CI (CI set) a missing browser fails them, as CI installs it.
 */
export function skipReason(): string | undefined {
  if (existsSync(CHROMIUM) || process.env.CI) return undefined;
  console.warn(`[test/browser] skipped: ${MISSING}`);
  return MISSING;
}

/** Builds the dashboard unless dist/dashboard is newer than its sources (fast when it is). */
export function ensureDashboardBuilt(): void {
  execFileSync(process.execPath, ["dashboard/scripts/ensure-built.mjs"], { stdio: "inherit" });
  if (!existsSync("dist/dashboard/index.html"))
    throw new Error("dist/dashboard/index.html is missing after building the dashboard");
}

/**
 * Chromium headless, with the flags this machine needs: no sandbox as root, and no background
 * networking (its connections would be refused by the closed network, many at a time).
 */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`cannot run the browser tests: ${MISSING}`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export const SCREENSHOTS = "test-results/screenshots";

/** Saves a screenshot as a test artifact; resolves with its path. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** POSTs to the API (tests act "through the API" next to the page). */
export async function api(
  url: string,
  path: string,
  token?: string,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: "{}",
  });
  return { status: response.status, body: await response.json() };
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return (await response.json()) as T;
}

/** Polls `check` until it returns a truthy value (real time). */
export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
