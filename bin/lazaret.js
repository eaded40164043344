#!/usr/bin/env node
// The `lazaret` command. The sources are TypeScript run through tsx's loader, so there is no
// build output that can drift from the code in src/.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/index.ts');
