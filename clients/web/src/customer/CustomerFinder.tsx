import { Autocomplete, Loader } from "@mantine/core";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { usePermission, useSession } from "../auth/session";
import type { FoundCustomer } from "../mobile/types";

const WAIT_MS = 250;
const LIMIT = 10;

/** Letters or digits in ``text``: the gateway searches from two of them. */
function searchable(text: string): boolean {
  return (text.match(/[\p{L}\p{N}]/gu) ?? []).length >= 2;
}

/**
 * The workspace header's customer search: type part of a name or an account number (accents and capitals do not
 * matter), pick one with the arrow keys and Enter, and its account opens.
 */
export function CustomerFinder() {
  const { t } = useTranslation();
  const { api } = useSession();
  const navigate = useNavigate();
  const [text, setText] = useState("");
  const [found, setFound] = useState<FoundCustomer[]>([]);
  const [loading, setLoading] = useState(false);
  // Picking an option writes its label into the box: that is no new search.
  const picked = useRef(false);
  const mayRead = usePermission("customers", "read");

  useEffect(() => {
    const q = text.trim();
    if (!mayRead || !searchable(q)) {
      setFound([]);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      setLoading(true);
      api
        .searchCustomers({ q, limit: LIMIT }, controller.signal)
        .then((page) => setFound(page.customers))
        .catch(() => {
          // A failed or cancelled search offers nothing; the next keystroke asks again.
          if (!controller.signal.aborted) setFound([]);
        })
        .finally(() => {
          if (!controller.signal.aborted) setLoading(false);
        });
    }, WAIT_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, text, mayRead]);

  if (!mayRead) return null;

  const options = found.map((c) => ({
    value: c.customer_id,
    label: `${c.name} · ${c.entity}/${c.account_number}`,
  }));
  return (
    <form role="search" aria-label={t("customerFinder.label")} onSubmit={(e) => e.preventDefault()}>
      <Autocomplete
        aria-label={t("customerFinder.label")}
        placeholder={t("customerFinder.placeholder")}
        size="xs"
        w={{ base: 160, sm: 280 }}
        type="search"
        value={text}
        data={options}
        // The gateway already chose: no second filter on the labels.
        filter={({ options: all }) => all}
        limit={LIMIT}
        // The header is fixed: the box is never scrolled away, so the list need not hide when it "detaches"
        // (which is also what jsdom, without layout, reports).
        comboboxProps={{ hideDetached: false }}
        rightSection={loading ? <Loader size="xs" aria-label={t("common.loading")} /> : null}
        onChange={(value) => {
          if (picked.current) {
            picked.current = false;
            setText("");
            return;
          }
          setText(value);
        }}
        onOptionSubmit={(customerId) => {
          const customer = found.find((c) => c.customer_id === customerId);
          if (!customer) return;
          picked.current = true;
          setFound([]);
          void navigate(
            `/customers/${encodeURIComponent(customer.entity)}/${encodeURIComponent(customer.account_number)}`,
          );
        }}
      />
    </form>
  );
}
