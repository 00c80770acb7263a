/**
 * "Sur cet appareil": how much room the weeks take, whether the browser promised to keep them (persistent storage),
 * and a week saved to / installed from a file, for devices with no network.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { mondayOfIsoWeek } from '../../protocol/iso-week.ts';
import { PREFETCH_CHANNEL } from '../../storage/channels.ts';
import { formatDay, formatSize } from '../format.ts';
import { useI18n } from '../i18n/index.ts';
import type { Services } from '../services.ts';

interface StorageInfo {
  usage: number;
  quota: number;
  persisted: boolean;
}

async function readStorage(): Promise<StorageInfo | undefined> {
  if (!navigator.storage?.estimate) return undefined;
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  const persisted = navigator.storage.persisted ? await navigator.storage.persisted() : false;
  return { usage, quota, persisted };
}

type ImportState =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'done'; week: string; version: number }
  | { kind: 'newer' }
  | { kind: 'failed' };

/** Remembered on the device once the pupil read why storage is not protected. A persisted name: do not rename. */
const STORAGE_EXPLAINED_KEY = 'cartable.storage-explained';

export function DeviceTools(props: {
  services: Services;
  classId: string;
  week: string;
  hasWeek: boolean;
}): JSX.Element {
  const { t, locale } = useI18n();
  const [storage, setStorage] = useState<StorageInfo | undefined>();
  const [understood, setUnderstood] = useState(() => localStorage.getItem(STORAGE_EXPLAINED_KEY) === '1');

  const [imported, setImported] = useState<ImportState>({ kind: 'idle' });
  const [exportFailed, setExportFailed] = useState(false);

  useEffect(() => {
    // Ask once the week is on the device: installed PWAs and engaged sites are usually granted persistence.
    const ask = props.hasWeek && navigator.storage?.persist ? navigator.storage.persist() : Promise.resolve(false);
    ask
      .catch(() => false)
      .then(readStorage)
      .then(setStorage)
      .catch(() => undefined);
  }, [props.hasWeek, imported]);

  const onExport = async () => {
    setExportFailed(false);
    try {
      const { exportWeek } = await import('../../sync/bundle-file.ts');
      const bytes = await exportWeek(props.services, props.classId, props.week);
      const url = URL.createObjectURL(new Blob([bytes.slice().buffer], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `cartable-${props.classId}-${props.week}.cartable`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch {
      setExportFailed(true);
    }
  };

  const onImport = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    setImported({ kind: 'busy' });
    try {
      // The file format and the signature check load when a file is chosen (their own chunk, precached).
      const [{ importWeek }, { webVerifier }, { webHasher }] = await Promise.all([
        import('../../sync/bundle-file.ts'),
        import('../../storage/web-verifier.ts'),
        import('../../storage/fetch-transport.ts'),
      ]);
      const result = await importWeek(
        {
          ...props.services,
          keys: props.services.device.keys,
          verifier: webVerifier,
          hasher: webHasher,
        },
        new Uint8Array(await file.arrayBuffer()),
      );
      setImported(
        result.status === 'installed'
          ? { kind: 'done', week: result.manifest.week, version: result.manifest.version }
          : { kind: 'newer' },
      );
      if (typeof BroadcastChannel === 'function') {
        const channel = new BroadcastChannel(PREFETCH_CHANNEL);
        channel.postMessage({ type: 'weeks-changed' });
        channel.close();
      }
    } catch {
      setImported({ kind: 'failed' });
    }
  };

  return (
    <section aria-labelledby="device-title" class="device-tools">
      <h2 id="device-title">{t('device.title')}</h2>
      {storage && (
        <p data-testid="storage">
          {t('storage.usage', {
            used: formatSize(storage.usage, t, locale),
            quota: formatSize(storage.quota, t, locale),
          })}{' '}
          {storage.persisted ? t('storage.persisted') : understood ? t('storage.notPersistedShort') : null}
        </p>
      )}
      {storage && !storage.persisted && !understood && (
        // Said once, with what the pupil can do; then a short line, not a permanent warning.
        <div class="card storage-note" data-testid="storage-explained">
          <p>{t('storage.notPersisted')}</p>
          <p>{t('storage.whatToDo')}</p>
          <button
            type="button"
            onClick={() => {
              localStorage.setItem(STORAGE_EXPLAINED_KEY, '1');
              setUnderstood(true);
            }}
          >
            {t('storage.understood')}
          </button>
        </div>
      )}
      {props.hasWeek && (
        <p>
          <button type="button" onClick={() => void onExport()}>
            {t('week.export')}
          </button>{' '}
          <span class="meta">{t('week.exportHint')}</span>
        </p>
      )}
      {exportFailed && <p role="alert">{t('week.exportFailed')}</p>}
      <p>
        <label class="file-button">
          {t('week.import')}
          <input
            type="file"
            accept=".cartable,application/octet-stream"
            onChange={(e) => void onImport(e.currentTarget)}
          />
        </label>
      </p>
      <p role="status" data-testid="import-status">
        {imported.kind === 'busy' && t('week.importing')}
        {imported.kind === 'done' &&
          t('week.imported', { monday: formatDay(mondayOfIsoWeek(imported.week), locale), version: imported.version })}
        {imported.kind === 'newer' && t('week.importNewer')}
        {imported.kind === 'failed' && t('week.importFailed')}
      </p>
    </section>
  );
}
