import { Anchor, Badge, Checkbox, Table, Text } from "@mantine/core";
import { useRef, type KeyboardEvent, type MouseEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Task } from "../api/types";
import { MoneyList } from "../components/Money";
import { formatDate, formatDateTime } from "../format/format";
import { headerState, toggle, toggleAll, toggleRange, type Selection } from "./selection";

interface Props {
  tasks: readonly Task[];
  selection: Selection;
  onSelectionChange(selection: Selection): void;
  onOpen(task: Task): void;
  /** Keys for bulk actions, handled by the page so they work the same from the bar. */
  onShortcut?(key: "perform" | "validate" | "postpone"): void;
}

export function customerPath(task: Pick<Task, "entity" | "account_number">): string {
  return `/customers/${encodeURIComponent(task.entity)}/${encodeURIComponent(task.account_number)}`;
}

/**
 * The task list as a grid of focusable rows: arrows (or j/k) move, space selects, shift extends, Enter opens the
 * account, Ctrl+A selects the page, Escape clears; p, v and d run perform, validate and postpone on the selection.
 */
export function AgendaTable({ tasks, selection, onSelectionChange, onOpen, onShortcut }: Props) {
  const { t, i18n } = useTranslation();
  const rows = useRef<(HTMLTableRowElement | null)[]>([]);
  const order = tasks.map((task) => task.task_id);
  const header = headerState(selection, order);

  function focusRow(index: number) {
    rows.current[Math.max(0, Math.min(index, tasks.length - 1))]?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTableRowElement>, index: number, task: Task) {
    if (event.target !== event.currentTarget) return;
    const key = event.key;
    if (key === "ArrowDown" || key === "j" || key === "ArrowUp" || key === "k") {
      event.preventDefault();
      const next = index + (key === "ArrowDown" || key === "j" ? 1 : -1);
      const nextTask = tasks[next];
      if (event.shiftKey && nextTask) onSelectionChange(toggleRange(selection, order, nextTask.task_id));
      focusRow(next);
    } else if (key === " " || key === "x") {
      event.preventDefault();
      onSelectionChange(event.shiftKey ? toggleRange(selection, order, task.task_id) : toggle(selection, task.task_id));
    } else if (key === "Enter") {
      event.preventDefault();
      onOpen(task);
    } else if (key === "a" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      onSelectionChange(toggleAll(selection, order));
    } else if (key === "Escape") {
      onSelectionChange({ ids: new Set(), anchor: null });
    } else if (key === "Home" || key === "End") {
      event.preventDefault();
      focusRow(key === "Home" ? 0 : tasks.length - 1);
    } else if (!event.ctrlKey && !event.metaKey && !event.altKey && onShortcut) {
      const shortcut = ({ p: "perform", v: "validate", d: "postpone" } as const)[key as "p" | "v" | "d"];
      if (shortcut) {
        event.preventDefault();
        onShortcut(shortcut);
      }
    }
  }

  function onCheckboxClick(event: MouseEvent<HTMLInputElement>, task: Task) {
    // Shift-click selects a range, as in a mail client; the change event then has nothing left to do.
    event.stopPropagation();
    onSelectionChange(event.shiftKey ? toggleRange(selection, order, task.task_id) : toggle(selection, task.task_id));
  }

  return (
    <Table.ScrollContainer minWidth={760}>
      <Table highlightOnHover stickyHeader aria-label={t("agenda.tableLabel")} aria-multiselectable="true">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40}>
              <Checkbox
                aria-label={t("agenda.selectAll")}
                checked={header === "all"}
                indeterminate={header === "some"}
                onChange={() => onSelectionChange(toggleAll(selection, order))}
              />
            </Table.Th>
            <Table.Th>{t("agenda.customer")}</Table.Th>
            <Table.Th>{t("agenda.step")}</Table.Th>
            <Table.Th>{t("agenda.channel")}</Table.Th>
            <Table.Th>{t("agenda.dueOn")}</Table.Th>
            <Table.Th className="amount">{t("agenda.daysOverdue")}</Table.Th>
            <Table.Th className="amount">{t("agenda.amount")}</Table.Th>
            <Table.Th>{t("agenda.status")}</Table.Th>
            <Table.Th>{t("agenda.collector")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {tasks.map((task, index) => {
            const selected = selection.ids.has(task.task_id);
            return (
              <Table.Tr
                key={task.task_id}
                ref={(el) => {
                  rows.current[index] = el;
                }}
                className="agenda-row"
                data-selected={selected}
                aria-selected={selected}
                tabIndex={index === 0 ? 0 : -1}
                onKeyDown={(e) => onKeyDown(e, index, task)}
                onFocus={() => {
                  // Roving tab index: Tab leaves the table from any row instead of walking through every row.
                  rows.current.forEach((row, i) => row?.setAttribute("tabindex", i === index ? "0" : "-1"));
                }}
              >
                <Table.Td>
                  <Checkbox
                    tabIndex={-1}
                    aria-label={t("agenda.selectTask", { customer: task.customer_name, step: task.step })}
                    checked={selected}
                    onClick={(e) => onCheckboxClick(e, task)}
                    onChange={() => undefined}
                  />
                </Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={customerPath(task)} tabIndex={-1}>
                    {task.customer_name || task.customer_id}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {task.customer_id}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {task.step}
                  <Text size="xs" c="dimmed">
                    {task.scenario}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {t(`channel.${task.channel}`, { defaultValue: task.channel })}
                  {!task.automatic && (
                    <Badge ml={4} size="xs" variant="outline">
                      {t("agenda.manual")}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  {formatDate(task.due_on, i18n.language)}
                  {task.send_at && (
                    <Text size="xs" c="dimmed">
                      {t("agenda.sendAt", { at: formatDateTime(task.send_at, i18n.language) })}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td className="amount">{task.days_overdue}</Table.Td>
                <Table.Td className="amount">
                  <MoneyList amounts={task.totals} />
                </Table.Td>
                <Table.Td>
                  <Badge variant="light">{t(`taskStatus.${task.status}`, { defaultValue: task.status })}</Badge>
                </Table.Td>
                <Table.Td>{task.collector ?? "—"}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
