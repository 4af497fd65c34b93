import { NativeSelect } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { languages, saveLanguage } from "../i18n";

export function LanguagePicker({ compact = false }: { compact?: boolean }) {
  const { t, i18n } = useTranslation();
  return (
    <NativeSelect
      label={compact ? undefined : t("language.label")}
      aria-label={t("language.label")}
      size={compact ? "xs" : "sm"}
      value={i18n.language}
      data={languages.map((l) => ({ value: l.code, label: l.name }))}
      onChange={(e) => {
        saveLanguage(e.currentTarget.value);
        void i18n.changeLanguage(e.currentTarget.value);
      }}
    />
  );
}
