/** The layer's entry for the browser bundle (`@otel/browser`): nothing of the Node SDK or pino comes with it. */
export { startBrowserMonitoring } from './start';
