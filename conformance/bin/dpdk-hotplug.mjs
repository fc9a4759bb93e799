#!/usr/bin/env node
import { certify } from '../dist/cli.js';

process.exitCode = await certify(process.argv.slice(2));
