/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The bundle is written straight into the Go package that embeds it (web/dist),
// so `go run ./cmd/weft serve` serves the UI with no npm step.
const api = process.env.WEFT_DEV_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "../web/dist",
    emptyOutDir: true,
    // Deterministic output: check-bundle.sh compares a fresh build with the committed one.
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npm run dev` talks to a `weft serve` on the default address (or WEFT_DEV_API).
    proxy: {
      "/api": { target: api, changeOrigin: false },
      "/hooks": { target: api, changeOrigin: false },
      "/healthz": { target: api, changeOrigin: false },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
});
