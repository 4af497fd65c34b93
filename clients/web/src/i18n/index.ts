import i18next, { type i18n as I18n } from "i18next";
import { initReactI18next } from "react-i18next";

/*
 * Every JSON file in ./locales is an interface language, named by its file ("cs.json") and by its own
 * "language.name" entry; adding a language is adding a file (see clients/web/README.md). A screen's folder may
 * keep its own texts in <screen>/locales/<language>.json: they are merged into that language's catalog, so screens
 * built side by side do not share one file.
 */
type Catalog = { default: Record<string, unknown> };
const languageCatalogs = import.meta.glob<Catalog>("./locales/*.json", { eager: true });
const screenCatalogs = import.meta.glob<Catalog>("../*/locales/*.json", { eager: true });

function languageOf(file: string): string {
  return file.replace(/^.*\/(.+)\.json$/, "$1");
}

const merged: Record<string, Record<string, unknown>> = Object.fromEntries(
  Object.entries(languageCatalogs).map(([file, module]) => [languageOf(file), { ...module.default }]),
);
for (const [file, module] of Object.entries(screenCatalogs)) {
  if (file in languageCatalogs) continue; // this folder's own catalogs, matched by both patterns
  const catalog = merged[languageOf(file)];
  // A screen's texts in a language the interface does not offer would never show: the completeness test names it.
  if (!catalog) continue;
  for (const [key, value] of Object.entries(module.default)) {
    if (key in catalog) throw new Error(`${file}: the text group "${key}" is already defined by another catalog`);
    catalog[key] = value;
  }
}

export const resources: Record<string, { translation: Record<string, unknown> }> = Object.fromEntries(
  Object.entries(merged).map(([code, translation]) => [code, { translation }]),
);

export interface Language {
  code: string;
  name: string;
}

export const languages: Language[] = Object.entries(resources)
  .map(([code, { translation }]) => ({
    code,
    name: String((translation.language as Record<string, unknown> | undefined)?.name ?? code),
  }))
  .sort((a, b) => a.code.localeCompare(b.code));

const STORAGE_KEY = "opendso.language";

/** The saved choice, else the browser's first language we have, else English. */
export function preferredLanguage(
  saved: string | null = safeStorage()?.getItem(STORAGE_KEY) ?? null,
  browser: readonly string[] = typeof navigator === "undefined" ? [] : navigator.languages,
): string {
  const known = new Set(Object.keys(resources));
  for (const candidate of [saved, ...browser]) {
    if (!candidate) continue;
    if (known.has(candidate)) return candidate;
    const base = candidate.split("-")[0]!;
    if (known.has(base)) return base;
  }
  return "en";
}

function safeStorage(): Storage | null {
  try {
    return typeof window === "undefined" ? null : window.localStorage;
  } catch {
    return null;
  }
}

export function saveLanguage(code: string): void {
  safeStorage()?.setItem(STORAGE_KEY, code);
}

export function createI18n(language: string = preferredLanguage()): I18n {
  const instance = i18next.createInstance();
  void instance.use(initReactI18next).init({
    resources,
    lng: language,
    fallbackLng: "en",
    interpolation: { escapeValue: false },
    // The catalogs are bundled: initialising synchronously means the first render is already translated.
    initAsync: false,
  });
  instance.on("languageChanged", (lng) => {
    if (typeof document !== "undefined") document.documentElement.lang = lng;
  });
  if (typeof document !== "undefined") document.documentElement.lang = language;
  return instance;
}
