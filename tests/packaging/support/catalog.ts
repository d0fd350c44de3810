import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits (bounded) until the catalog serves an entity, e.g. one the Loco
 * catalog module provides: its provider runs at startup and the catalog
 * processes what it emits a little later.
 */
export async function waitForEntity(
  baseUrl: string,
  token: string,
  ref: string,
  timeout = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const response = await fetch(
      `${baseUrl}/api/catalog/entities/by-name/${ref}`,
      { headers: { Authorization: `Bearer ${token}` } },
    );
    if (response.ok) return;
    if (Date.now() > deadline)
      throw new Error(`the catalog has no ${ref}: ${response.status}`);
    await sleep(1_000);
  }
}
