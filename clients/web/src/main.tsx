import "@mantine/core/styles.css";
import "@mantine/notifications/styles.css";
import "./app.css";
import { MantineProvider } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { I18nextProvider } from "react-i18next";
import { BrowserRouter } from "react-router";
import { AppRoutes } from "./App";
import { SessionProvider } from "./auth/session";
import { registerServiceWorker } from "./mobile/serviceWorker";
import { createI18n } from "./i18n";
import { theme } from "./theme";

const i18n = createI18n();
void registerServiceWorker();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <I18nextProvider i18n={i18n}>
      <MantineProvider theme={theme} defaultColorScheme="auto">
        <Notifications position="top-right" />
        <SessionProvider>
          {/* import.meta.env.BASE_URL is "/app/", where the gateway serves the build. */}
          <BrowserRouter basename={import.meta.env.BASE_URL.replace(/\/$/, "")}>
            <AppRoutes />
          </BrowserRouter>
        </SessionProvider>
      </MantineProvider>
    </I18nextProvider>
  </StrictMode>,
);
