import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  seatPath,
  seatsPath,
  seatTakeOverPath,
} from '@loco-portal/plugin-loco-common';
import request from 'supertest';
import { startLocoTestBackend } from '../../__testUtils__/startLocoTestBackend';

const ADA = 'user:default/ada';
const BOB = 'user:default/bob';
const WATCHER = 'user:default/watcher';
const MANAGER = 'user:default/manager';
const API = '/api/loco';

jest.setTimeout(60_000);

/** Everyone reads; all but WATCHER control; only MANAGER manages. */
function permit(name: string, user?: string) {
  return (
    name === 'loco.environment.read' ||
    (name === 'loco.instance.control' && user !== WATCHER) ||
    (name === 'loco.environment.manage' && user === MANAGER)
  );
}

/** A backend whose database is a SQLite file in `dir`: two starts share it. */
async function startLoco(dir: string) {
  const { backend, server, audit } = await startLocoTestBackend({
    environments: [
      { name: 'loco-demo', instances: 3, storageMode: 'ephemeral' },
    ],
    permit,
    features: [mockServices.database.factory()],
    config: {
      backend: {
        database: {
          client: 'better-sqlite3',
          connection: { directory: dir },
        },
      },
    },
  });
  const as = (user: string) => mockCredentials.user.header(user);
  return { backend, server, audit, as };
}

describe('seat routes', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loco-seats-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('claims, refuses a taken seat and a second one, lists and releases', async () => {
    const { backend, server, as } = await startLoco(dir);
    const claim = await request(server)
      .post(API + seatPath('loco-demo', 1))
      .set('Authorization', as(ADA));
    expect(claim.status).toBe(201);
    expect(claim.body).toMatchObject({
      environment: 'loco-demo',
      seats: [{ environment: 'loco-demo', index: 1, holder: ADA }],
      maxSeatsPerUser: 1,
      gracePeriodSeconds: 180,
    });
    const taken = await request(server)
      .post(API + seatPath('loco-demo', 1))
      .set('Authorization', as(BOB));
    expect(taken.status).toBe(409);
    const second = await request(server)
      .post(API + seatPath('loco-demo', 0))
      .set('Authorization', as(ADA));
    expect(second.status).toBe(409);
    expect(second.body.error.message).toContain('already play instance 1');
    // Not the holder, not a manager: Bob cannot free Ada's seat.
    const notYours = await request(server)
      .delete(API + seatPath('loco-demo', 1))
      .set('Authorization', as(BOB));
    expect(notYours.status).toBe(403);
    const release = await request(server)
      .delete(API + seatPath('loco-demo', 1))
      .set('Authorization', as(ADA));
    expect(release.status).toBe(200);
    expect(release.body.seats).toEqual([]);
    await backend.stop();
  });

  it('needs control to claim, manage to take over or free, and validates its input', async () => {
    const { backend, server, as, audit } = await startLoco(dir);
    expect(
      (
        await request(server)
          .post(API + seatPath('loco-demo', 0))
          .set('Authorization', as(WATCHER))
      ).status,
    ).toBe(403);
    expect(
      (
        await request(server)
          .post(API + seatTakeOverPath('loco-demo', 0))
          .set('Authorization', as(ADA))
      ).status,
    ).toBe(403);
    const bad = await request(server)
      .post(`${API}/environments/loco-demo/instances/0x1/seat`)
      .set('Authorization', as(ADA));
    expect(bad.status).toBe(400);
    expect(bad.body.error.name).toBe('InputError');
    const missing = await request(server)
      .post(API + seatPath('loco-demo', 7))
      .set('Authorization', as(ADA));
    expect(missing.status).toBe(400);

    await request(server)
      .post(API + seatPath('loco-demo', 2))
      .set('Authorization', as(ADA))
      .expect(201);
    const takeOver = await request(server)
      .post(API + seatTakeOverPath('loco-demo', 2))
      .set('Authorization', as(MANAGER));
    expect(takeOver.status).toBe(200);
    expect(takeOver.body.seats).toEqual([
      expect.objectContaining({ index: 2, holder: MANAGER }),
    ]);
    await request(server)
      .post(API + seatPath('loco-demo', 0))
      .set('Authorization', as(BOB))
      .expect(201);
    const free = await request(server)
      .delete(API + seatPath('loco-demo', 0))
      .set('Authorization', as(MANAGER));
    expect(free.status).toBe(200);
    expect(free.body.seats.map((s: { index: number }) => s.index)).toEqual([2]);
    const changes = audit.events.filter(e => e.eventId === 'loco-seat');
    expect(
      changes.map(e => [e.meta.seatAction, e.outcome, e.meta.previousHolder]),
    ).toEqual([
      ['claim', 'failed', undefined],
      ['take-over', 'failed', undefined],
      // The malformed index is refused before anything is recorded.
      ['claim', 'failed', undefined],
      ['claim', 'succeeded', undefined],
      ['take-over', 'succeeded', ADA],
      ['claim', 'succeeded', undefined],
      ['free', 'succeeded', BOB],
    ]);
    expect(changes.every(e => e.actorFromRequest)).toBe(true);
    await backend.stop();
  });

  it('keeps seats across a backend restart (same database)', async () => {
    const first = await startLoco(dir);
    await request(first.server)
      .post(API + seatPath('loco-demo', 1))
      .set('Authorization', first.as(ADA))
      .expect(201);
    await first.backend.stop();

    const second = await startLoco(dir);
    const list = await request(second.server)
      .get(API + seatsPath('loco-demo'))
      .set('Authorization', second.as(BOB));
    expect(list.status).toBe(200);
    expect(list.body.seats).toEqual([
      expect.objectContaining({ index: 1, holder: ADA }),
    ]);
    // The restarted backend enforces it too.
    expect(
      (
        await request(second.server)
          .post(API + seatPath('loco-demo', 1))
          .set('Authorization', second.as(BOB))
      ).status,
    ).toBe(409);
    await second.backend.stop();
  });
});
