/** A small path router on the History API: URLs a pupil can bookmark, served offline by the service worker. */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'week' }
  | { name: 'lesson'; week: string; lessonId: string }
  | { name: 'assignment'; week: string; assignmentId: string }
  | { name: 'outbox' }
  | { name: 'publish'; week?: string }
  | { name: 'submissions'; week: string; assignmentId: string }
  | { name: 'school' }
  | { name: 'readiness' }
  | { name: 'notFound' };

/** Reads a route from a path. */
export function parseRoute(path: string): Route {
  if (path === '/' || path === '') return { name: 'week' };
  const lesson = /^\/semaine\/(\d{4}-W\d{2})\/lecon\/([A-Za-z0-9_-]+)\/?$/.exec(path);
  if (lesson?.[1] && lesson[2]) return { name: 'lesson', week: lesson[1], lessonId: lesson[2] };
  const assignment = /^\/semaine\/(\d{4}-W\d{2})\/devoir\/([A-Za-z0-9_-]+)\/?$/.exec(path);
  if (assignment?.[1] && assignment[2]) return { name: 'assignment', week: assignment[1], assignmentId: assignment[2] };
  if (path === '/envois' || path === '/envois/') return { name: 'outbox' };
  if (path === '/publier' || path === '/publier/') return { name: 'publish' };
  const publish = /^\/publier\/(\d{4}-W\d{2})\/?$/.exec(path);
  if (publish?.[1]) return { name: 'publish', week: publish[1] };
  if (path === SCHOOL_PATH || path === `${SCHOOL_PATH}/`) return { name: 'school' };
  if (path === READINESS_PATH || path === `${READINESS_PATH}/`) return { name: 'readiness' };
  const submissions = /^\/semaine\/(\d{4}-W\d{2})\/devoir\/([A-Za-z0-9_-]+)\/rendus\/?$/.exec(path);
  if (submissions?.[1] && submissions[2])
    return { name: 'submissions', week: submissions[1], assignmentId: submissions[2] };
  return { name: 'notFound' };
}

export const lessonPath = (week: string, lessonId: string): string => `/semaine/${week}/lecon/${lessonId}`;
export const assignmentPath = (week: string, assignmentId: string): string => `/semaine/${week}/devoir/${assignmentId}`;
export const OUTBOX_PATH = '/envois';
export const PUBLISH_PATH = '/publier';
/** The week editor open on one week. */
export const publishPath = (week: string): string => `${PUBLISH_PATH}/${week}`;
/** The school admin's screens: classes, accounts, sign-in cards, device set-up. */
export const SCHOOL_PATH = '/ecole';
/** The teacher's "Qui est prêt ?" for the current week. */
export const READINESS_PATH = '/qui-est-pret';
export const submissionsPath = (week: string, assignmentId: string): string =>
  `/semaine/${week}/devoir/${assignmentId}/rendus`;

/** Goes to `path` without reloading. */
export function navigate(path: string): void {
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The current route, updated on navigation and on the browser's back and forward. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(location.pathname));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  return route;
}

/** An ordinary link that navigates in the app (modifier-clicks still open a new tab). */
export function Link(props: { href: string; children: ComponentChildren; class?: string }): JSX.Element {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} class={props.class} onClick={onClick}>
      {props.children}
    </a>
  );
}
