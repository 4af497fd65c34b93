import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { ApiClient } from "../api/client";
import { endpoints, type Endpoints } from "../api/endpoints";
import type { Me } from "../api/types";
import { BrowserTokenStore, type TokenStore } from "../api/tokens";

interface Session {
  api: Endpoints;
  client: ApiClient;
  me: Me | null;
  signedIn: boolean;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({
  children,
  tokens,
  fetchFn,
}: {
  children: ReactNode;
  tokens?: TokenStore;
  fetchFn?: typeof fetch;
}) {
  const [me, setMe] = useState<Me | null>(null);
  // The client outlives renders; it reports a sign-in the gateway ended through whatever handler is current.
  const onSignedOut = useRef<() => void>(() => undefined);
  const client = useMemo(
    () =>
      new ApiClient({
        tokens: tokens ?? new BrowserTokenStore(),
        fetch: fetchFn,
        onSignedOut: () => onSignedOut.current(),
      }),
    [tokens, fetchFn],
  );
  const api = useMemo(() => endpoints(client), [client]);
  // Read from the stored tokens on the first render, so reloading a deep link does not bounce to sign-in.
  const [signedIn, setSignedIn] = useState(() => client.signedIn);

  useEffect(() => {
    onSignedOut.current = () => {
      setSignedIn(false);
      setMe(null);
    };
  }, []);

  useEffect(() => {
    // A reload keeps the stored tokens: ask who we are, which also refreshes an expired access token.
    if (client.signedIn) api.me().then(setMe, () => undefined);
  }, [client, api]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      await client.signIn(email, password);
      setSignedIn(true);
      setMe(await api.me());
    },
    [client, api],
  );

  const signOut = useCallback(async () => {
    await client.signOut();
    setSignedIn(false);
    setMe(null);
  }, [client]);

  const value = useMemo(
    () => ({ api, client, me, signedIn, signIn, signOut }),
    [api, client, me, signedIn, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}

/** May the signed-in user do ``action`` on ``feature`` (GET /api/v1/me's permissions)? */
export function usePermission(feature: string, action: "read" | "write"): boolean {
  const { me } = useSession();
  return Boolean(me?.permissions[feature]?.includes(action));
}
