import { ApiError, ManagerUnreachableError } from "../http/client.js";
import { ConfigError } from "../registry/errors.js";
import { CliError, type CliIO, EXIT, println } from "./io.js";

/**
 * Wraps a command's body: its result is the exit code (default 0); a {@link CliError} prints its
 * lines on stderr and exits with its code; a `ConfigError` prints one line per problem and exits 1;
 * anything else prints `error: message` and exits 1.
 */
export function action<A extends unknown[]>(
  io: CliIO,
  body: (...args: A) => Promise<number | undefined> | number | undefined,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let code: number;
    try {
      code = (await body(...args)) ?? EXIT.ok;
    } catch (error) {
      if (error instanceof CliError) {
        for (const line of error.lines) println(io.stderr, `error: ${line}`);
        code = error.code;
      } else if (error instanceof ApiError) {
        for (const line of apiErrorLines(error)) println(io.stderr, `error: ${line}`);
        code = EXIT.failure;
      } else if (error instanceof ManagerUnreachableError) {
        println(io.stderr, `error: ${error.message}`);
        code = EXIT.unreachable;
      } else if (error instanceof ConfigError) {
        for (const line of error.problems) println(io.stderr, `error: ${line}`);
        code = EXIT.failure;
      } else {
        println(io.stderr, `error: ${error instanceof Error ? error.message : String(error)}`);
        code = EXIT.failure;
      }
    }
    io.exit(code);
  };
}

/** What the manager said, plus a hint for a refused token. */
export function apiErrorLines(error: ApiError): string[] {
  if (error.status === 401 || error.status === 403)
    return [
      `the manager refused ${error.method} ${error.path}: ${error.message}`,
      "pass --token, or set RINGMASTER_API_TOKEN (or PREFIX_API_TOKEN for the config's envPrefix) to the manager's token",
    ];
  return [error.message];
}
