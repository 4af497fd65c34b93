// @vitest-environment node
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import config from "../vite.config";

const publicDir = new URL("../public/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("manifest.webmanifest", publicDir), "utf8")) as {
  start_url: string;
  scope: string;
  display: string;
  icons: { src: string; sizes: string }[];
};

describe("the web app manifest", () => {
  it("installs the app where the gateway serves it", () => {
    expect(manifest.start_url).toBe(config.base);
    expect(manifest.scope).toBe(config.base);
    expect(manifest.display).toBe("standalone");
  });

  it("names icons that exist, in the sizes installers ask for", () => {
    for (const icon of manifest.icons) expect(existsSync(new URL(icon.src, publicDir)), icon.src).toBe(true);
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(["192x192", "512x512"]));
  });
});
