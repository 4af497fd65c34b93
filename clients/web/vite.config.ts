/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The gateway serves the build at /app/ (services/gateway: the web client mount); the dev server proxies the API
// to a gateway started by `make run`, so the client only ever speaks to the public API.
const gateway = process.env.OPENDSO_GATEWAY_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/app/",
  plugins: [react()],
  server: {
    proxy: {
      "/api": gateway,
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    // Mantine's forms are slow to render in jsdom: on a busy machine (CI, several runs at once) a screen's test
    // took up to 18 s, past the 5 s default.
    testTimeout: 60_000,
  },
});
