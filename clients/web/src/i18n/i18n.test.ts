import { describe, expect, it } from "vitest";
import { createI18n, languages, preferredLanguage, resources } from ".";

// Plural forms differ by language (Czech has one/few/many/other, English one/other): compare the base keys.
const PLURAL = /_(zero|one|two|few|many|other)$/;

function keys(tree: Record<string, unknown>, prefix = ""): Set<string> {
  const found = new Set<string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === "object") for (const k of keys(value as Record<string, unknown>, path)) found.add(k);
    else found.add(path.replace(PLURAL, ""));
  }
  return found;
}

describe("interface languages", () => {
  it("include English, French and Czech, each named in itself", () => {
    expect(languages).toEqual(
      expect.arrayContaining([
        { code: "en", name: "English" },
        { code: "fr", name: "Français" },
        { code: "cs", name: "Čeština" },
      ]),
    );
  });

  it.each(Object.keys(resources).filter((code) => code !== "en"))("%s translates every English text", (code) => {
    const english = keys(resources.en!.translation);
    const other = keys(resources[code]!.translation);
    expect([...english].filter((k) => !other.has(k))).toEqual([]);
    expect([...other].filter((k) => !english.has(k))).toEqual([]);
  });

  it("use each language's plural rules", () => {
    const cs = createI18n("cs");
    expect(cs.t("agenda.count", { count: 1 })).toBe("1 úkol");
    expect(cs.t("agenda.count", { count: 3 })).toBe("3 úkoly");
    expect(cs.t("agenda.count", { count: 5 })).toBe("5 úkolů");
  });

  it("start in the saved language, else the browser's, else English", () => {
    expect(preferredLanguage("fr", ["cs-CZ"])).toBe("fr");
    expect(preferredLanguage(null, ["de-DE", "cs-CZ"])).toBe("cs");
    expect(preferredLanguage(null, ["de-DE"])).toBe("en");
  });
});
