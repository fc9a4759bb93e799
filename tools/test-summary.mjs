#!/usr/bin/env node
// Reads a test log on stdin and prints its closing lines: the totals, then every failed test (or
// suite, or uncaught error) with its first error line — CI keeps only a log's tail.
import { text } from 'node:stream/consumers';
import { formatTestLog, readTestLog } from './lib/test-log.mjs';

console.log(formatTestLog(readTestLog(await text(process.stdin))));
