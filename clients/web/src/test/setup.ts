import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// findBy…/waitFor wait 1 s by default: a screen loaded lazily (the dashboard brings the charting library) took
// longer in a full run on a busy machine. What is awaited still has to appear; it is only given longer.
configure({ asyncUtilTimeout: 10_000 });

// jsdom lacks what Mantine asks the browser for (colour scheme, element sizes); tests need only that they exist.
// Tests in the node environment (no window) skip all of it.
if (typeof window !== "undefined") {
  if (!window.matchMedia) {
    window.matchMedia = (query: string) =>
      ({
        matches: false,
        media: query,
        onchange: null,
        addEventListener: () => undefined,
        removeEventListener: () => undefined,
        addListener: () => undefined,
        removeListener: () => undefined,
        dispatchEvent: () => false,
      }) as MediaQueryList;
  }
  if (typeof window.ResizeObserver === "undefined") {
    window.ResizeObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
    } as unknown as typeof ResizeObserver;
  }
  window.HTMLElement.prototype.scrollIntoView ??= () => undefined;
  afterEach(() => cleanup());
}
