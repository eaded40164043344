// Preloaded into the built-in scanner child (node --import): its stdin is a pipe from the
// registry, which closes when the registry exits in any way (even kill -9), so the child never
// outlives its parent. Plain JavaScript: it runs before the TypeScript loader.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
