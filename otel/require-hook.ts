import Module from 'node:module';

/**
 * OpenTelemetry's instrumentations patch a module when it is first required, through a hook on
 * `Module.prototype.require` (require-in-the-middle) that sees every `require()` for the life of the process.
 * Next requires the route's module and its manifests again on every request (cache hits, which the hook resolves
 * anew each time): about 3 % of the server's CPU under load. Everything Drop instruments through that hook (pino) is
 * loaded during start-up, so the layer takes the hook out once start-up is done.
 *
 * Call before the SDK starts; call the returned function when the instrumented modules are loaded. Modules
 * required after that are not patched: instrument them by requiring them before the release.
 */
export function holdRequireForStartup(): () => void {
  const original = Module.prototype.require;
  return () => {
    Module.prototype.require = original;
  };
}
