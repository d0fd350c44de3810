// The sound cards are defined once, in plugins/loco-common/src/vnc.ts
// (SOUND_CARDS). values.schema.json cannot import them, so this test holds
// its enum equal to them; and a release (one environment) switches sound off
// with emulator.sound: none, which reaches the agent as LOCO_SOUND.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SOUND_CARDS } from '../../plugins/loco-common/src/vnc.ts';
import { CHART, envOf, one, render } from './helpers.ts';

const schema = JSON.parse(
  readFileSync(join(CHART, 'values.schema.json'), 'utf8'),
);

const emulatorEnv = (values: object) =>
  envOf(
    one(render(values), 'StatefulSet').spec.template.spec.containers.find(
      (c: any) => c.name === 'emulator',
    ),
  );

test("values.schema.json's emulator.sound is loco-common's list of sound cards", () => {
  assert.deepEqual(schema.properties.emulator.properties.sound.enum, [
    ...SOUND_CARDS,
  ]);
});

test('sound is off by default and per release: emulator.sound none or sb16 reaches the agent', () => {
  assert.equal(emulatorEnv({}).LOCO_SOUND, 'none');
  assert.equal(emulatorEnv({ emulator: { sound: 'none' } }).LOCO_SOUND, 'none');
  assert.equal(emulatorEnv({ emulator: { sound: 'sb16' } }).LOCO_SOUND, 'sb16');
});
