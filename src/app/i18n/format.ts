/** Message formatting: {name} placeholders and a small ICU-style plural ({count, plural, =0 {…} one {…} other {…}}). */

export type Params = Record<string, string | number>;

// A branch may hold plain {name} placeholders ("# élève sur {total} a rendu"), filled after the plural is chosen.
const PLURAL = /\{(\w+), plural,((?:\s*(?:=\d+|zero|one|two|few|many|other)\s*\{(?:[^{}]|\{\w+\})*\})+)\s*\}/g;
const BRANCH = /(=\d+|zero|one|two|few|many|other)\s*\{((?:[^{}]|\{\w+\})*)\}/g;

/** Fills `template` with `params` for `locale`. Unknown placeholders are left visible, never silently dropped. */
export function formatMessage(template: string, params: Params, locale: string): string {
  const rules = new Intl.PluralRules(locale);
  const withPlurals = template.replace(PLURAL, (whole, name: string, branches: string) => {
    const value = Number(params[name]);
    if (Number.isNaN(value)) return whole;
    const options = new Map([...branches.matchAll(BRANCH)].map((m) => [m[1] ?? '', m[2] ?? '']));
    const chosen = options.get(`=${value}`) ?? options.get(rules.select(value)) ?? options.get('other') ?? '';
    return chosen.replace(/#/g, new Intl.NumberFormat(locale).format(value));
  });
  return withPlurals.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}
