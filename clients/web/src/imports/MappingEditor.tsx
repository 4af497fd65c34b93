import { Badge, Button, Group, NativeSelect, Table, Text, TextInput } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { formatPercent } from "../format/format";
import { ESSENTIAL_FIELDS, FIELDS, type MappingDraft, type MappingProblem, type Source } from "./mapping";

const NONE = "\u0000none";
const CONSTANT = "\u0000constant";

function valueOf(source: Source): string {
  if (source.kind === "column") return `col:${source.header}`;
  return source.kind === "constant" ? CONSTANT : NONE;
}

interface Props {
  headers: readonly string[];
  draft: MappingDraft;
  confidence: Readonly<Record<string, number>>;
  problems: readonly MappingProblem[];
  onChange(field: string, source: Source): void;
}

/** One row per field of the import: which column of the file holds it, or one value for every row. */
export function MappingEditor({ headers, draft, confidence, problems, onChange }: Props) {
  const { t, i18n } = useTranslation();
  const [showAll, setShowAll] = useState(false);
  const problemOf = (field: string) => problems.find((p) => p.field === field);
  const message = (p: MappingProblem | undefined): string | undefined => {
    if (!p) return undefined;
    if (p.kind === "sharedColumn")
      return t("imports.mapping.problem.sharedColumn", { header: p.header, field: p.with });
    if (p.kind === "unknownColumn") return t("imports.mapping.problem.unknownColumn", { header: p.header });
    return t(`imports.mapping.problem.${p.kind}`);
  };
  const options = [
    { value: NONE, label: t("imports.mapping.notImported") },
    { value: CONSTANT, label: t("imports.mapping.constant") },
    ...headers.filter((h) => h.trim()).map((h) => ({ value: `col:${h}`, label: h })),
  ];
  // The fields the file needs, and any the user or the proposal mapped, first; the optional ones on request.
  const shown = FIELDS.filter(
    (f) => showAll || ESSENTIAL_FIELDS.includes(f) || (draft[f]?.kind ?? "none") !== "none" || problemOf(f),
  );
  const hidden = FIELDS.length - shown.length;
  return (
    <>
      <Table.ScrollContainer minWidth={400}>
        <Table aria-label={t("imports.mapping.table")} verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t("imports.mapping.field")}</Table.Th>
              <Table.Th scope="col">{t("imports.mapping.source")}</Table.Th>
              <Table.Th scope="col">{t("imports.mapping.confidence")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((field) => {
              const source = draft[field] ?? { kind: "none" };
              const label = t(`imports.field.${field}`);
              const problem = message(problemOf(field));
              const score = confidence[field];
              const proposed = source.kind === "column" && score !== undefined;
              return (
                <Table.Tr key={field}>
                  <Table.Th scope="row" fw={500}>
                    <Text size="sm">{label}</Text>
                    <Text size="xs" c="dimmed" ff="monospace">
                      {field}
                    </Text>
                  </Table.Th>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap" align="flex-start">
                      <NativeSelect
                        aria-label={t("imports.mapping.sourceOf", { field: label })}
                        value={valueOf(source)}
                        data={options}
                        error={problem}
                        onChange={(e) => {
                          const value = e.currentTarget.value;
                          if (value === NONE) onChange(field, { kind: "none" });
                          else if (value === CONSTANT) onChange(field, { kind: "constant", value: "" });
                          else onChange(field, { kind: "column", header: value.slice(4) });
                        }}
                      />
                      {source.kind === "constant" && (
                        <TextInput
                          aria-label={t("imports.mapping.constantOf", { field: label })}
                          placeholder={t("imports.mapping.constantPlaceholder")}
                          value={source.value}
                          onChange={(e) => onChange(field, { kind: "constant", value: e.currentTarget.value })}
                        />
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    {proposed && (
                      <Badge color={score >= 0.95 ? "teal" : "yellow"} variant="light">
                        {formatPercent(String(score * 100), i18n.language)}
                      </Badge>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {(hidden > 0 || showAll) && (
        <Group>
          <Button variant="subtle" size="xs" aria-expanded={showAll} onClick={() => setShowAll((v) => !v)}>
            {showAll ? t("imports.mapping.fewerFields") : t("imports.mapping.moreFields", { count: hidden })}
          </Button>
        </Group>
      )}
    </>
  );
}
