import { describe, expect, it } from 'vitest';
import { readConfig } from './config.ts';

describe('readConfig', () => {
  it('needs nothing: SQLite in ./data, port 8080, per-process limits', () => {
    const c = readConfig({}, '/srv/cartable');
    expect(c).toMatchObject({
      port: 8080,
      host: 'localhost',
      dataDir: '/srv/cartable/data',
      filesDir: '/srv/cartable/data/files',
      databaseUrl: undefined,
      redisUrl: undefined,
      seedDemo: true,
    });
  });

  it('takes PostgreSQL, Redis and a shared files folder from the environment', () => {
    const c = readConfig(
      {
        DATABASE_URL: 'postgres://cartable@db/cartable',
        REDIS_URL: 'redis://cache:6379',
        FILES_DIR: '/mnt/files',
        DB_POOL_SIZE: '20',
      },
      '/srv',
    );
    expect(c).toMatchObject({
      databaseUrl: 'postgres://cartable@db/cartable',
      redisUrl: 'redis://cache:6379',
      filesDir: '/mnt/files',
      dbPoolSize: 20,
    });
  });

  it('refuses bad values with a sentence that says what is expected', () => {
    expect(() => readConfig({ PORT: 'eighty' })).toThrow('PORT must be a whole number from 0 to 65535, not "eighty"');
    expect(() => readConfig({ DATABASE_URL: 'mysql://x' })).toThrow('DATABASE_URL must be a postgres:// URL');
    expect(() => readConfig({ DB_POOL_SIZE: '0' })).toThrow('DB_POOL_SIZE must be a whole number from 1 to 500');
  });

  it('reads the off-peak window, and says what is wrong with a bad one', () => {
    expect(readConfig({}, '/srv').offPeak).toEqual({
      windowStart: '19:00',
      windowEnd: '07:00',
      days: [1, 2, 3, 4, 5, 6, 7],
      keepPreviousWeeks: 2,
      sendPeaks: [],
    });
    expect(
      readConfig({ SYNC_WINDOW: '20:30-06:15', SYNC_DAYS: '1-4,7', KEEP_PREVIOUS_WEEKS: '5' }, '/srv').offPeak,
    ).toEqual({
      windowStart: '20:30',
      windowEnd: '06:15',
      days: [1, 2, 3, 4, 7],
      keepPreviousWeeks: 5,
      sendPeaks: [],
    });
    expect(() => readConfig({ SYNC_WINDOW: '7pm-7am' }, '/srv')).toThrow('SYNC_WINDOW');
    expect(() => readConfig({ SYNC_WINDOW: '19:00-19:00' }, '/srv')).toThrow('SYNC_WINDOW');
    expect(() => readConfig({ SYNC_DAYS: 'lundi' }, '/srv')).toThrow('SYNC_DAYS');
  });

  it('reads the peak hours devices hold work back in, and refuses a malformed one', () => {
    expect(readConfig({ SEND_PEAKS: '08:00-09:00/0.5/1800, 13:30-14:00/1/600' }, '/srv').offPeak.sendPeaks).toEqual([
      { start: '08:00', end: '09:00', days: [1, 2, 3, 4, 5], admit: 0.5, spreadSeconds: 1800 },
      { start: '13:30', end: '14:00', days: [1, 2, 3, 4, 5], admit: 1, spreadSeconds: 600 },
    ]);
    expect(readConfig({ SEND_PEAKS: '08:00-09:00/.3/60', SEND_PEAK_DAYS: '1,2,4' }, '/srv').offPeak.sendPeaks).toEqual([
      { start: '08:00', end: '09:00', days: [1, 2, 4], admit: 0.3, spreadSeconds: 60 },
    ]);
    for (const bad of [
      '8h-9h/0.5/60',
      '09:00-08:00/0.5/60',
      '08:00-09:00/0/60',
      '08:00-09:00/1.5/60',
      '08:00-09:00/0.5',
    ])
      expect(() => readConfig({ SEND_PEAKS: bad }, '/srv')).toThrow('SEND_PEAKS');
  });

  it('keeps SQLite at synchronous=FULL unless told in words nobody types by accident', () => {
    expect(readConfig({}, '/srv').sqliteSynchronous).toBe('FULL');
    expect(readConfig({ SQLITE_SYNCHRONOUS: 'OFF_LOSES_ACKNOWLEDGED_WORK' }, '/srv').sqliteSynchronous).toBe('OFF');
    for (const bad of ['OFF', 'NORMAL', 'off'])
      expect(() => readConfig({ SQLITE_SYNCHRONOUS: bad }, '/srv')).toThrow('SQLITE_SYNCHRONOUS');
  });

  it('reads the per-address bounds, with a burst of twice the rate', () => {
    expect(readConfig({}, '/srv').guard).toEqual({
      maxConnectionsPerAddress: 512,
      newConnectionsPerSecond: 200,
      newConnectionsBurst: 400,
    });
    expect(readConfig({ NEW_CONNECTIONS_PER_SECOND: '50' }, '/srv').guard.newConnectionsBurst).toBe(100);
    expect(() => readConfig({ MAX_CONNECTIONS_PER_ADDRESS: '0' }, '/srv')).toThrow('MAX_CONNECTIONS_PER_ADDRESS');
  });
});
