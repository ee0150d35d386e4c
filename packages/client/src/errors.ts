/** An error answer of the API, with the contract's code (`NOT_FOUND`, `CONFLICT`, …), or `NETWORK` when there was none. */
export class DockyardError extends Error {
  override name = 'DockyardError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
