import { Button, Group, Paper, Text, TextInput } from "@mantine/core";
import { forwardRef, useImperativeHandle, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { BulkAction, Task } from "../api/types";
import { isoDay } from "../format/format";
import { availableActions } from "./selection";

export interface BulkBarHandle {
  /** Runs an action from a keyboard shortcut; postpone first moves focus to its date. */
  trigger(action: "perform" | "validate" | "postpone"): void;
}

interface Props {
  selected: readonly Task[];
  busy: boolean;
  canWrite: boolean;
  onAction(action: BulkAction, options: { postpone_to?: string; collector?: string; comment?: string }): void;
  onClear(): void;
}

export const BulkBar = forwardRef<BulkBarHandle, Props>(function BulkBar(
  { selected, busy, canWrite, onAction, onClear },
  ref,
) {
  const { t } = useTranslation();
  const [postponeTo, setPostponeTo] = useState(() => isoDay(7));
  const [comment, setComment] = useState("");
  const [collector, setCollector] = useState("");
  const dateInput = useRef<HTMLInputElement>(null);
  const allowed = availableActions(selected);
  const disabled = busy || !canWrite || selected.length === 0;
  const validDate = /^\d{4}-\d{2}-\d{2}$/.test(postponeTo) && postponeTo > isoDay();

  function run(action: BulkAction) {
    onAction(action, {
      postpone_to: action === "postpone" ? postponeTo : undefined,
      collector: action === "reassign" ? collector.trim() : undefined,
      comment: comment.trim() || undefined,
    });
  }

  useImperativeHandle(ref, () => ({
    trigger(action) {
      if (disabled || !allowed[action]) return;
      if (action === "postpone") dateInput.current?.focus();
      else run(action);
    },
  }));

  return (
    <Paper withBorder p="sm" role="region" aria-label={t("agenda.bulk.label")}>
      <Group gap="sm" align="end" wrap="wrap">
        <Text size="sm" fw={600} aria-live="polite" miw={110}>
          {t("agenda.bulk.selected", { count: selected.length })}
        </Text>
        <Button size="xs" disabled={disabled || !allowed.perform} onClick={() => run("perform")} loading={busy}>
          {t("agenda.bulk.perform")}
        </Button>
        <Button size="xs" variant="light" disabled={disabled || !allowed.validate} onClick={() => run("validate")}>
          {t("agenda.bulk.validate")}
        </Button>
        <TextInput
          ref={dateInput}
          size="xs"
          type="date"
          label={t("agenda.bulk.postponeTo")}
          value={postponeTo}
          min={isoDay(1)}
          onChange={(e) => setPostponeTo(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && validDate && !disabled) run("postpone");
          }}
        />
        <Button
          size="xs"
          variant="light"
          disabled={disabled || !allowed.postpone || !validDate}
          onClick={() => run("postpone")}
        >
          {t("agenda.bulk.postpone")}
        </Button>
        <TextInput
          size="xs"
          label={t("agenda.bulk.reassignTo")}
          value={collector}
          onChange={(e) => setCollector(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && collector.trim() && !disabled) run("reassign");
          }}
        />
        <Button
          size="xs"
          variant="light"
          disabled={disabled || !allowed.postpone || !collector.trim()}
          onClick={() => run("reassign")}
        >
          {t("agenda.bulk.reassign")}
        </Button>
        <TextInput
          size="xs"
          label={t("agenda.bulk.comment")}
          value={comment}
          maxLength={2000}
          onChange={(e) => setComment(e.currentTarget.value)}
          style={{ flexGrow: 1, minWidth: 160 }}
        />
        <Button size="xs" variant="subtle" disabled={selected.length === 0} onClick={onClear}>
          {t("agenda.bulk.clear")}
        </Button>
      </Group>
    </Paper>
  );
});
