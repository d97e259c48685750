// The bench's peer set-ups, by the name in DROP_BENCH_PEER: each its own instrumentation entry, standing in for
// Drop's layer (otel/register.ts) in the same build. Loaded at run time by Node (not bundled by Next).
const PEERS = {
  'vercel-otel': () => import('./vercel-otel.mjs'),
  'node-sdk-auto': () => import('./node-sdk-auto.mjs'),
};

export async function registerPeer(name) {
  const load = PEERS[name];
  if (!load) throw new Error(`DROP_BENCH_PEER="${name}" is not one of ${Object.keys(PEERS).join(', ')}`);
  await load();
}
