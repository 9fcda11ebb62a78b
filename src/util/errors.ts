// Errors meant for the person at the command line: the CLI prints their message alone (no stack trace).

/** Bad flags or arguments. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Bad input data: a file, a line, a field. The message names which. */
export class InputError extends Error {
  override name = "InputError";
}
