#!/usr/bin/env node
// kubectl (>= 1.26) runs kubectl_complete-gw for `kubectl gw <TAB>`; npm links it to this file.
// kubectl-gw's hidden __complete command answers, as through the sh wrapper of a checkout.
process.argv.splice(2, 0, '__complete', '--')
await import('./run.js')
