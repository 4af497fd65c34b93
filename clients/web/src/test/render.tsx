import { MantineProvider } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { I18nextProvider } from "react-i18next";
import { MemoryRouter } from "react-router";
import { MemoryTokenStore, type TokenPair } from "../api/tokens";
import { SessionProvider } from "../auth/session";
import { createI18n } from "../i18n";

export const PAIR: TokenPair = {
  access_token: "access-1",
  refresh_token: "refresh-1",
  token_type: "bearer",
  expires_in: 900,
  refresh_expires_in: 1209600,
};

export type Route = (request: { method: string; url: URL; body: unknown; headers: Headers }) => Response | undefined;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
  });
}

/** A fetch answering from ``route`` and recording every call, standing in for the gateway. */
export function fakeFetch(route: Route) {
  const calls: { method: string; url: URL; body: unknown; headers: Headers }[] = [];
  const fn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://gateway.test");
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
    const call = { method: init?.method ?? "GET", url, body, headers };
    calls.push(call);
    const answer = route(call);
    if (!answer) return json({ title: "Not found", status: 404, detail: url.pathname }, 404);
    return answer;
  }) as typeof fetch;
  return { fn, calls };
}

/** The app's providers around ``ui``: signed in with {@link PAIR} unless told otherwise, in ``language``, at ``path``. */
export function renderApp(
  ui: ReactElement,
  options: { fetch: typeof fetch; language?: string; path?: string; signedIn?: boolean },
) {
  const i18n = createI18n(options.language ?? "en");
  const tokens = new MemoryTokenStore(options.signedIn === false ? null : PAIR);
  return {
    tokens,
    ...render(
      <I18nextProvider i18n={i18n}>
        <MantineProvider>
          <Notifications />
          <SessionProvider tokens={tokens} fetchFn={options.fetch}>
            <MemoryRouter initialEntries={[options.path ?? "/"]}>{ui}</MemoryRouter>
          </SessionProvider>
        </MantineProvider>
      </I18nextProvider>,
    ),
  };
}
