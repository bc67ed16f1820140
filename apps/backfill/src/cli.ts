#!/usr/bin/env node
console.log("kpi-backfill");
