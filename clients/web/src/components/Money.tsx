import { useTranslation } from "react-i18next";
import type { Money as MoneyValue } from "../api/types";
import { formatMoney } from "../format/format";

/** Amounts in the interface language's format; several currencies one under the other, never added up. */
export function MoneyList({ amounts }: { amounts: readonly MoneyValue[] }) {
  const { i18n } = useTranslation();
  if (amounts.length === 0) return <>—</>;
  return (
    <>
      {amounts.map((m) => (
        <span key={m.currency} style={{ display: "block", whiteSpace: "nowrap" }}>
          {formatMoney(m.amount, m.currency, i18n.language)}
        </span>
      ))}
    </>
  );
}
