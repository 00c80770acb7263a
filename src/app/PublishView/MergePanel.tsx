/**
 * The week was published meanwhile (another device, another teacher) and some items were changed on both sides:
 * each shown side by side, the teacher picks which to keep. Everything else merged by itself; nothing is chosen
 * for her.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { Conflict, Side } from '../../sync/week-merge.ts';
import { formatDue } from '../format.ts';
import { useI18n } from '../i18n/index.ts';
import type { PendingMerge } from './use-week-draft.ts';

function SideText(props: { conflict: Conflict; side: Side; timeZone: string }): JSX.Element {
  const { t, locale } = useI18n();
  const item = props.conflict[props.side];
  if (!item) return <p class="meta">{t('merge.removed')}</p>;
  if ('body' in item)
    return (
      <>
        <p class="item-title">{item.title}</p>
        <pre class="merge-text">{item.body}</pre>
      </>
    );
  return (
    <>
      <p class="item-title">{item.title}</p>
      <pre class="merge-text">{item.instructions}</pre>
      <p class="meta">{t('week.due', { date: formatDue(item.dueAt, locale, props.timeZone) })}</p>
    </>
  );
}

export function MergePanel(props: {
  pending: PendingMerge;
  timeZone: string;
  onResolve: (choices: Record<string, Side>) => void;
}): JSX.Element {
  const { t, locale } = useI18n();
  const [choices, setChoices] = useState<Record<string, Side>>({});
  const { merge, theirs } = props.pending;
  const complete = merge.conflicts.every((c) => choices[c.id] !== undefined);
  return (
    <section class="merge card" aria-labelledby="merge-title">
      <h2 id="merge-title">{t('merge.title', { version: theirs.version })}</h2>
      <p>
        {theirs.publishedAt && t('merge.explain', { date: formatDue(theirs.publishedAt, locale, props.timeZone) })}{' '}
        {t('merge.count', { count: merge.conflicts.length })}
      </p>
      {merge.conflicts.map((c) => {
        const title = (c.mine ?? c.theirs ?? c.base)?.title ?? c.id;
        return (
          <fieldset key={c.id} class="merge-conflict">
            <legend>{t(c.kind === 'lesson' ? 'merge.lesson' : 'merge.assignment', { title })}</legend>
            <div class="merge-sides">
              {(['mine', 'theirs'] as const).map((side) => (
                <label key={side} class="merge-side" data-chosen={choices[c.id] === side}>
                  <span class="merge-choice">
                    <input
                      type="radio"
                      name={`merge-${c.id}`}
                      checked={choices[c.id] === side}
                      onChange={() => setChoices({ ...choices, [c.id]: side })}
                    />{' '}
                    {t(side === 'mine' ? 'merge.keepMine' : 'merge.keepTheirs', { version: theirs.version })}
                  </span>
                  <SideText conflict={c} side={side} timeZone={props.timeZone} />
                </label>
              ))}
            </div>
          </fieldset>
        );
      })}
      <p>
        <button type="button" class="primary" disabled={!complete} onClick={() => props.onResolve(choices)}>
          {t('merge.apply')}
        </button>{' '}
        {!complete && <span class="meta">{t('merge.chooseAll')}</span>}
      </p>
    </section>
  );
}
