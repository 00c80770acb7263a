/**
 * The teacher's draft of one week: where it starts (her saved draft, else the newest version from the server, else
 * the newest this device knows, saying which), what happened meanwhile (another device or teacher published: merged
 * item by item, conflicts left for her to choose), autosave, and Publier (queued in the outbox, the draft kept).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { latestWeekUrl } from '../../protocol/paths.ts';
import type { WeekManifest } from '../../protocol/schemas.ts';
import type { OutboxFile, OutboxItem } from '../../sync/ports.ts';
import {
  contentOfManifest,
  EMPTY_WEEK,
  mergeWeeks,
  resolveMerge,
  type Side,
  sameAssignment,
  sameLesson,
  type WeekContent,
  type WeekMerge,
} from '../../sync/week-merge.ts';
import { queueAndSend, useDebouncedWrite } from '../draft-saving.ts';
import type { Services } from '../services.ts';
import type { ActiveSession } from '../session.ts';
import {
  type DraftBase,
  draftContent,
  draftFromContent,
  draftFromManifest,
  emptyDraft,
  NEW_WEEK_BASE,
  type PublishDraft,
} from './publish-draft.ts';

export type DraftFile = OutboxFile & { bytes: Uint8Array };

export const publishDraftKey = (owner: string, classId: string, week: string) => `publish/${owner}/${classId}/${week}`;
/** Where drafts were kept before they were per week (one per class): read once for its week, never written. */
const legacyDraftKey = (owner: string, classId: string) => `publish/${owner}/${classId}`;

/** Where the editor found what it shows, for the line under the title. */
export type Origin =
  | { kind: 'draft' }
  | { kind: 'server'; version: number; publishedAt?: string | undefined }
  | { kind: 'device'; version: number }
  | { kind: 'new' }
  | { kind: 'merged'; version: number };

/** An unresolved merge: the week moved on while this draft was edited, and some items changed on both sides. */
export interface PendingMerge {
  merge: WeekMerge;
  /** The version merged with: the draft's base once settled. */
  theirs: DraftBase;
  /** Conflicting outbox publications this merge settles: withdrawn once it is published. */
  supersedes: string[];
}

const sameContent = (a: WeekContent, b: WeekContent) =>
  a.lessons.length === b.lessons.length &&
  a.assignments.length === b.assignments.length &&
  a.lessons.every((l, i) => sameLesson(l, b.lessons[i]) && l.id === b.lessons[i]?.id) &&
  a.assignments.every((x) =>
    sameAssignment(
      x,
      b.assignments.find((y) => y.id === x.id),
    ),
  );

/** The newest version from the server: a manifest, 'none' (never published) or 'offline'. */
async function fetchLatest(session: ActiveSession, classId: string, week: string) {
  try {
    const res = await session.send({ method: 'GET', path: latestWeekUrl(classId, week) });
    if (res.status === 404) return 'none' as const;
    if (res.status !== 200) return 'offline' as const;
    return JSON.parse(new TextDecoder().decode(res.body)) as WeekManifest;
  } catch {
    return 'offline' as const;
  }
}

const publicationsOf = (items: OutboxItem[], classId: string, week: string) =>
  items.filter((i) => i.publication && i.classId === classId && i.week === week);

async function outboxItems(services: Services): Promise<OutboxItem[]> {
  return (await services.outbox.list()).flatMap((e) => (e.ok ? [e.item] : []));
}

/**
 * The base once this device's queued publication is known: published (its version and content become the base), or
 * gone (withdrawn); unchanged while it is on its way or in conflict.
 */
function settlePending(base: DraftBase, items: OutboxItem[]): DraftBase {
  if (!base.pending) return base;
  const item = items.find((i) => i.id === base.pending?.itemId);
  if (item?.state === 'received' && item.published && item.publication) {
    const { lessons, assignments } = item.publication;
    const at = item.published.publishedAt;
    return {
      version: item.published.version,
      content: { lessons, assignments },
      from: 'server',
      ...(at ? { publishedAt: at } : {}),
    };
  }
  if (!item) {
    const { pending: _gone, ...rest } = base;
    return rest;
  }
  return base;
}

/**
 * The draft carried over to `theirs`, a newer version made from `ancestor`: merged by item, or a merge waiting for
 * the teacher's choices when an item changed on both sides. Nothing of either side is dropped.
 */
function rebaseDraft(
  draft: PublishDraft,
  files: ReadonlyMap<string, { name: string }>,
  ancestor: WeekContent,
  theirs: DraftBase,
  timeZone: string,
): { draft: PublishDraft; merged: boolean } | { merge: WeekMerge } {
  if (sameContent(ancestor, theirs.content)) return { draft: { ...draft, base: theirs }, merged: false };
  const merge = mergeWeeks(ancestor, draftContent(draft, files, timeZone), theirs.content);
  if (merge.conflicts.length > 0) return { merge };
  const merged = draftFromContent(draft.week, merge.merged, theirs, timeZone);
  return { draft: { ...merged, releaseAt: draft.releaseAt }, merged: true };
}

/** True when settlePending found the queued publication published (not merely gone from the outbox). */
const arrived = (before: DraftBase, settled: DraftBase) =>
  before.pending !== undefined && settled.pending === undefined && settled.content !== before.content;

export interface WeekDraft {
  draft: PublishDraft | undefined;
  files: Map<string, DraftFile>;
  origin: Origin | undefined;
  pendingMerge: PendingMerge | undefined;
  /** Replaces the draft (and its files) and saves it shortly. */
  change: (draft: PublishDraft, files?: Map<string, DraftFile>) => void;
  /** The latest draft and files, for handlers that finish after an await. */
  latest: () => { draft: PublishDraft | undefined; files: Map<string, DraftFile> };
  /** Settles the pending merge with the teacher's choice for each conflict. */
  resolve: (choices: Record<string, Side>) => void;
  /** Queues the publication; the draft stays, holding what was published. */
  publish: (item: OutboxItem, files: DraftFile[]) => Promise<void>;
  saved: 'idle' | 'saved' | 'failed';
}

export function useWeekDraft(
  services: Services,
  session: ActiveSession,
  classId: string,
  week: string,
  timeZone: string,
  /** The outbox as the page sees it: a queued publication that arrives becomes the draft's base at once. */
  items: OutboxItem[],
): WeekDraft {
  const owner = session.user.id;
  const key = publishDraftKey(owner, classId, week);
  const [draft, setDraft] = useState<PublishDraft | undefined>();
  const [files, setFiles] = useState<Map<string, DraftFile>>(new Map());
  const [origin, setOrigin] = useState<Origin | undefined>();
  const [pendingMerge, setPendingMerge] = useState<PendingMerge | undefined>();
  const [saved, setSaved] = useState<WeekDraft['saved']>('idle');
  const latest = useRef<{ draft: PublishDraft | undefined; files: Map<string, DraftFile> }>({
    draft: undefined,
    files: new Map(),
  });

  const writer = useDebouncedWrite(async (value: { draft: PublishDraft; files: Map<string, DraftFile> }) => {
    try {
      await services.drafts.save({
        key,
        owner,
        text: JSON.stringify(value.draft),
        files: [...value.files.values()].map(({ bytes, ...ref }) => ({ ...ref, bytes: bytes.slice().buffer })),
        updatedAt: Date.now(),
      });
      setSaved('saved');
    } catch {
      setSaved('failed');
    }
  });

  const show = (next: PublishDraft, nextFiles: Map<string, DraftFile>) => {
    latest.current = { draft: next, files: nextFiles };
    setDraft(next);
    setFiles(nextFiles);
  };
  const change = (next: PublishDraft, nextFiles = latest.current.files) => {
    show(next, nextFiles);
    writer.schedule({ draft: next, files: nextFiles });
  };

  useEffect(() => {
    let live = true;
    setDraft(undefined);
    setPendingMerge(undefined);
    const load = async () => {
      const stored =
        (await services.drafts.get(key)) ??
        (await services.drafts
          .get(legacyDraftKey(owner, classId))
          .then((d) => (d && (JSON.parse(d.text) as PublishDraft).week === week ? d : undefined)));
      const queue = await outboxItems(services);
      const theirs = await fetchLatest(session, classId, week);
      if (!live) return;
      const storedFiles = new Map(
        (stored?.files ?? []).map((f) => [f.sha256, { ...f, bytes: new Uint8Array(f.bytes) }] as const),
      );
      const mine = publicationsOf(queue, classId, week).filter((i) => i.state !== 'received');
      let next: PublishDraft;
      let from: Origin;
      if (stored) {
        const parsed = JSON.parse(stored.text) as PublishDraft;
        const before = parsed.base ?? NEW_WEEK_BASE;
        const settled = settlePending(before, queue);
        next = { ...parsed, base: settled };
        from = { kind: 'draft' };
        // Its publication arrived, perhaps merged by the outbox with a version made elsewhere: carry the draft over.
        if (before.pending && arrived(before, settled)) {
          const rebased = rebaseDraft(parsed, storedFiles, before.pending.content, settled, timeZone);
          if ('merge' in rebased) {
            next = { ...parsed, base: { ...settled, content: before.pending.content } };
            setPendingMerge({ merge: rebased.merge, theirs: settled, supersedes: [] });
          } else next = rebased.draft;
        }
      } else if (mine.at(-1)?.publication) {
        // The draft went with its publication (a crash between the two writes): start again from what is queued.
        const item = mine.at(-1) as OutboxItem & { publication: NonNullable<OutboxItem['publication']> };
        const content = { lessons: item.publication.lessons, assignments: item.publication.assignments };
        next = draftFromContent(
          week,
          content,
          {
            version: item.publication.baseVersion ?? 0,
            content: item.publicationBase ?? EMPTY_WEEK,
            from: 'pending',
            pending: { itemId: item.id, content },
          },
          timeZone,
        );
        from = { kind: 'draft' };
      } else if (typeof theirs === 'object') {
        next = draftFromManifest(theirs, timeZone);
        from = { kind: 'server', version: theirs.version, publishedAt: theirs.publishedAt };
      } else {
        const installed = theirs === 'offline' ? await services.weeks.get(classId, week) : undefined;
        if (!live) return;
        if (installed) {
          next = draftFromManifest(installed.manifest, timeZone, 'device');
          from = { kind: 'device', version: installed.manifest.version };
        } else {
          next = emptyDraft(week);
          from = { kind: 'new' };
        }
      }
      // The week moved on since this draft's base: merge, unless this device's own publication is still on its
      // way (the outbox merges it when it arrives).
      const base = next.base ?? NEW_WEEK_BASE;
      const inFlight = mine.filter((i) => i.state === 'pending' || i.state === 'sending');
      const conflicting = mine.filter((i) => i.state === 'conflict').map((i) => i.id);
      if (typeof theirs === 'object' && theirs.version > base.version && inFlight.length === 0) {
        const content = contentOfManifest(theirs);
        const newer: DraftBase = { version: theirs.version, content, from: 'server', publishedAt: theirs.publishedAt };
        const rebased = rebaseDraft(next, storedFiles, base.content, newer, timeZone);
        if ('merge' in rebased) setPendingMerge({ merge: rebased.merge, theirs: newer, supersedes: conflicting });
        else {
          next = rebased.draft;
          if (rebased.merged) from = { kind: 'merged', version: theirs.version };
        }
      }
      show(next, storedFiles);
      setOrigin(from);
    };
    void load().catch(() => {
      if (!live) return;
      show(emptyDraft(week), new Map());
      setOrigin({ kind: 'new' });
    });
    return () => {
      live = false;
    };
  }, [services, session, classId, week, key]);

  // This device's publication arrived: its version becomes the base. When the outbox merged it with a version made
  // meanwhile elsewhere, the draft takes that other side's changes too (else they would read as removals).
  useEffect(() => {
    const d = latest.current.draft;
    const pending = d?.base?.pending;
    if (!d?.base || !pending) return;
    const settled = settlePending(d.base, items);
    if (settled === d.base) return;
    if (!arrived(d.base, settled)) {
      change({ ...d, base: settled });
      return;
    }
    const rebased = rebaseDraft(d, latest.current.files, pending.content, settled, timeZone);
    if ('merge' in rebased) {
      change({ ...d, base: { ...settled, content: pending.content } });
      setPendingMerge({ merge: rebased.merge, theirs: settled, supersedes: [] });
    } else {
      change(rebased.draft);
      if (rebased.merged) setOrigin({ kind: 'merged', version: settled.version });
    }
  }, [items]);

  const resolve = (choices: Record<string, Side>) => {
    const current = latest.current.draft;
    if (!pendingMerge || !current) return;
    const content = resolveMerge(pendingMerge.merge, choices);
    if (!content) return;
    const base = pendingMerge.theirs;
    const { theirs } = pendingMerge;
    // The conflicting publications stay queued (shown) until the settled version replaces them at Publier.
    const settled = { ...draftFromContent(week, content, base, timeZone), releaseAt: current.releaseAt };
    change({ ...settled, supersedes: pendingMerge.supersedes });
    setPendingMerge(undefined);
    setOrigin({ kind: 'merged', version: theirs.version });
  };

  const publish = async (queued: OutboxItem, published: DraftFile[]) => {
    const current = latest.current;
    if (!current.draft?.base || !queued.publication) return;
    writer.cancel();
    const base = current.draft.base;
    // Named with what it was edited from: the server refuses it over a newer version, and the outbox then merges
    // it with that version, this base being the common ancestor.
    const item: OutboxItem = {
      ...queued,
      publication: { ...queued.publication, baseVersion: base.version },
      publicationBase: base.content,
    };
    await queueAndSend(
      services,
      key,
      item,
      published.map((f) => ({ sha256: f.sha256, type: f.type, bytes: f.bytes })),
    );
    // What this publication replaces on the device: an earlier one not sent yet (this one holds its content), and
    // conflicts the teacher settled in this draft.
    const replaced = new Set([...(base.pending ? [base.pending.itemId] : []), ...(current.draft.supersedes ?? [])]);
    for (const id of replaced)
      await services.outbox.remove(id, (i) => i.id !== item.id && (i.state === 'pending' || i.state === 'conflict'));
    // The draft stays, holding what was published: the next edit starts from it, never from a blank form.
    const content = { lessons: item.publication?.lessons ?? [], assignments: item.publication?.assignments ?? [] };
    const { supersedes: _done, ...kept } = current.draft;
    const next: PublishDraft = {
      ...kept,
      base: { ...base, pending: { itemId: item.id, content } },
    };
    show(next, current.files);
    await services.drafts.save({
      key,
      owner,
      text: JSON.stringify(next),
      files: [...current.files.values()].map(({ bytes, ...ref }) => ({ ...ref, bytes: bytes.slice().buffer })),
      updatedAt: Date.now(),
    });
    services.events.dispatchEvent(new Event('outbox-changed'));
  };

  return { draft, files, origin, pendingMerge, change, latest: () => latest.current, resolve, publish, saved };
}
