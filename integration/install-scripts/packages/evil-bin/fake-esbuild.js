#!/usr/bin/env node
console.log("fake esbuild from evil-bin");
