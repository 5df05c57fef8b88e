import type { ErrorBody } from "./types";

/** The server answered with an error status; `message` is its own explanation. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = "ringmaster.apiToken";

/** The API token for this tab: kept in sessionStorage, so it goes when the tab closes. */
export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {}
}

/**
 * Asks the operator for the API token after a 401; resolves with the token, or null when they
 * give up. `refusal` is the server's message ("missing API token…", "wrong API token").
 * The token dialog installs the real one; until then mutations simply fail.
 */
export type TokenPrompt = (refusal: string) => Promise<string | null>;
let promptForToken: TokenPrompt = async () => null;

export function setTokenPrompt(prompt: TokenPrompt): void {
  promptForToken = prompt;
}

async function errorOf(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as Partial<ErrorBody>;
    if (typeof body.message === "string" && body.message !== "") message = body.message;
  } catch {}
  return new ApiError(response.status, message);
}

/** `GET` a JSON resource (reads never need the token). */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, {
    headers: { accept: "application/json" },
    ...(signal ? { signal } : {}),
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

/** `GET` a probe: 200 and 503 both carry `{ ok, reasons }`. */
export async function getProbe<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  if (response.status !== 200 && response.status !== 503) throw await errorOf(response);
  return (await response.json()) as T;
}

/**
 * `POST` with the stored token. On 401 it asks for a token (showing the server's refusal) and
 * tries again with it, until the server accepts or the operator cancels; a cancel rejects with
 * the last refusal.
 */
export async function post<T>(path: string, body?: unknown): Promise<T> {
  for (;;) {
    const token = storedToken();
    // Always JSON (`{}` for no body): the server refuses other changes (DESIGN.md §9).
    const headers: Record<string, string> = {
      accept: "application/json",
      "content-type": "application/json",
    };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(path, {
      method: "POST",
      headers,
      body: JSON.stringify(body ?? {}),
    });
    if (response.ok) return (await response.json()) as T;
    const error = await errorOf(response);
    if (error.status !== 401) throw error;
    if (token) storeToken(null);
    const next = await promptForToken(error.message);
    if (next === null) throw error;
    storeToken(next);
  }
}
