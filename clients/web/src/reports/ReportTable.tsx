import { Table } from "@mantine/core";
import type { TableModel } from "./tables";

/** A report's figures as a table: the first cell of a row names it, amounts are right-aligned. */
export function ReportTable({ model, caption }: { model: TableModel; caption: string }) {
  return (
    <Table.ScrollContainer minWidth={Math.max(480, model.columns.length * 110)}>
      <Table striped highlightOnHover>
        <caption className="visually-hidden-table">{caption}</caption>
        <Table.Thead>
          <Table.Tr>
            {model.columns.map((c) => (
              <Table.Th key={c.key} className={c.numeric ? "amount" : undefined}>
                {c.label}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {model.rows.map((row) => (
            <Table.Tr key={row.key}>
              {row.cells.map((cell, i) =>
                i === 0 ? (
                  <Table.Th scope="row" key={model.columns[i]!.key} fw={500}>
                    {cell}
                  </Table.Th>
                ) : (
                  <Table.Td
                    key={model.columns[i]!.key}
                    className={model.columns[i]!.numeric ? "amount" : undefined}
                    style={{ whiteSpace: "pre-line" }}
                  >
                    {cell}
                  </Table.Td>
                ),
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
