import { InputError } from '@backstage/errors';
import { liveStorage, storageUpdate } from './releaseStorage';

const live = (mode: string) =>
  liveStorage({
    storage: {
      mode,
      size: '2Gi',
      storageClassName: 'fast',
      retentionPolicy: { whenDeleted: 'Retain' },
    },
  });

describe('storageUpdate', () => {
  it.each(['persistent', 'hybrid'])(
    'pins %s claims and refuses another size',
    mode => {
      expect(storageUpdate('lan', live(mode), {})).toEqual({
        mode,
        size: '2Gi',
        storageClassName: 'fast',
      });
      expect(storageUpdate('lan', live(mode), { storageSize: '2Gi' })).toEqual({
        mode,
        size: '2Gi',
        storageClassName: 'fast',
      });
      expect(() =>
        storageUpdate('lan', live(mode), { storageSize: '3Gi' }),
      ).toThrow(InputError);
    },
  );

  it('lets ephemeral disks take a new size limit', () => {
    expect(
      storageUpdate('lan', live('ephemeral'), { storageSize: '3Gi' }),
    ).toEqual({ mode: 'ephemeral', size: '3Gi' });
    expect(storageUpdate('lan', live('ephemeral'), {})).toEqual({
      mode: 'ephemeral',
    });
  });

  it('refuses a size for host directories, which have none', () => {
    expect(() =>
      storageUpdate('lan', live('hostpath'), { storageSize: '3Gi' }),
    ).toThrow(/no size to change/);
  });

  it('writes no mode it does not know', () => {
    expect(storageUpdate('lan', liveStorage({}), {})).toEqual({});
  });
});
