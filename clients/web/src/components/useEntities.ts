import { useEffect, useState } from "react";
import type { Entity } from "../api/types";
import { useSession } from "../auth/session";

/**
 * The entities the user may choose from and the one lists start on: with several entities in scope the gateway
 * requires one on agenda queries, so the first is chosen; with every entity, "" asks for all of them.
 */
export function useEntities(): { entities: Entity[]; initial: string | null } {
  const { api, me } = useSession();
  const [entities, setEntities] = useState<Entity[]>([]);
  useEffect(() => {
    api.entities().then(
      (answer) => setEntities(answer.items),
      () => setEntities([]),
    );
  }, [api]);
  if (!me) return { entities, initial: null };
  if (me.entities === "all") return { entities, initial: "" };
  // The scope may name entities the ledger has no record of yet (no entities file imported): offer them by code.
  const known = new Set(entities.map((e) => e.code));
  const missing = me.entities
    .filter((code) => !known.has(code))
    .map((code) => ({ code, name: code, country: "", currency: "", time_zone: "", group_currency: null }));
  return { entities: [...entities, ...missing], initial: me.entities[0] ?? "" };
}
