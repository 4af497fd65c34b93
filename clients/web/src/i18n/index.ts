import i18next, { type i18n as I18n } from "i18next";
import { initReactI18next } from "react-i18next";

/*
 * Every JSON file in ./locales is an interface language, named by its file ("cs.json" → Czech) and by its own
 * "language.name" entry; adding a language is adding a file (see clients/web/README.md).
 */
const catalogs = import.meta.glob<{ default: Record<string, unknown> }>("./locales/*.json", { eager: true });

export const resources: Record<string, { translation: Record<string, unknown> }> = Object.fromEntries(
  Object.entries(catalogs).map(([file, module]) => [
    file.replace(/^.*\/(.+)\.json$/, "$1"),
    { translation: module.default },
  ]),
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
