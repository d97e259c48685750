import type { AddressInfo } from 'node:net';
import type { Logger } from '@otel';
import { Alerter } from './notify/alerter';
import type { AlertsConfig } from './config';
import { AlertRules } from './rules/rules';
import { createAlertServer } from './intake/server';
import { Heartbeat } from './rules/heartbeat';
import { backupSignalsFromLogs, servicesOf, signalsFromLogs, signalsFromSpans } from './rules/signals';
import { BackupWatch } from './rules/backup-watch';
import { CollectorWatch } from './rules/collector-watch';
import { AuditWatch, auditSignalsFromLogs } from './rules/audit-watch';
import { LoginWatch, loginFailuresFromLogs } from './rules/login-watch';
import { SlackClient } from './notify/slack';
import { Outbox } from './store/outbox';
import { StateStore } from './store/state-store';
import { createSilencesApi } from './silence/silences-api';
import { Silencer } from './silence/silencer';
import { SilenceStore } from './store/silence-store';
import { createReplicas } from './cluster/replicas';
import { DeclaredServices } from './intake/declared-services';
import { EmailClient } from './notify/email';
import { ThrottledLog } from './intake/throttled-log';

/**
 * The service, assembled: OTLP server → signals → rules (state in SQLite) → alerter (outbox, groups, silences)
 * → Slack; the same server answers the silences API. A timer runs the rules even when nothing arrives, so that
 * a spike can end in silence.
 */
export interface AlertProcessor {
  /** http://host:port once started. */
  readonly url: string;
  start(): Promise<void>;
  /** Graceful: stops taking requests, finishes those in progress and the deliveries in flight, closes the state file. */
  stop(): Promise<void>;
}

export function createAlertProcessor(config: AlertsConfig, logger: Logger): AlertProcessor {
  const store = StateStore.open(config.stateFile);
  const outbox = Outbox.open(config.stateFile);
  const replicas = config.databaseUrl ? createReplicas({ ...config, databaseUrl: config.databaseUrl }, logger) : undefined;
  const silences = replicas?.silences ?? SilenceStore.open(config.stateFile);
  const silencer = new Silencer(silences, config.muteWindows);
  const rules = new AlertRules({
    store,
    threshold: config.errorThreshold,
    windowMs: config.windowMs,
    cooldownMs: config.cooldownMs,
    onNote: (note, fields) => logger.info(fields, note),
  });
  const undeclaredLog = new ThrottledLog(logger);
  const declared = new DeclaredServices(config.services, undeclaredLog);
  const backups = new BackupWatch(store, config.backupGraceMs);
  const collectorWatch = new CollectorWatch(store, config.windowMs);
  const auditWatch = new AuditWatch(store, config.auditCheckpointGraceMs);
  const loginWatch = new LoginWatch(
    {
      perAccount: config.loginFailuresPerAccount,
      perNetwork: config.loginFailuresPerNetwork,
      windowMs: config.loginWindowMs,
      cooldownMs: config.cooldownMs,
    },
    (note, fields) => logger.warn(fields, note),
  );
  const heartbeat = new Heartbeat(
    store,
    config.heartbeatMs,
    undefined,
    undefined,
    (service) => declared.has(service) && !backups.has(service),
  );
  const slack = new SlackClient({
    webhookUrl: config.slackWebhookUrl,
    logger,
    maxAttempts: config.slackMaxAttempts,
    timeoutMs: config.slackTimeoutMs,
    maxRetryAfterMs: config.slackMaxRetryAfterMs,
    messagesPerSecond: config.slackMessagesPerSecond,
  });
  const email = config.email ? new EmailClient(config.email, logger) : undefined;
  const links = { sentryIssuesUrl: config.sentryIssuesUrl, traceUrlTemplate: config.traceUrlTemplate, runbookUrl: config.runbookUrl };
  const alerter = new Alerter(
    {
      rules,
      slack,
      email,
      routes: config.routes,
      outbox,
      links,
      logger,
      silencer,
      heartbeat,
      relay: replicas?.relay,
      stillQueued: replicas?.stillQueued,
    },
    { groupMs: config.groupMs },
  );
  const { server, flushWarnings } = createAlertServer({
    maxBodyBytes: config.maxBodyBytes,
    logger,
    intakeToken: config.intakeToken,
    silencesApi: createSilencesApi({ token: config.apiToken, store: silences, silencer, logger }),
    intake: {
      logs: (received) => {
        const now = Date.now();
        const { kept, rejected } = declared.filter(received, 'log records');
        alerter.dispatch([
          ...heartbeat.seen(servicesOf(kept), now),
          ...rules.observe(signalsFromLogs(kept, now), now),
          ...backups.observe(backupSignalsFromLogs(kept, now), now),
          ...auditWatch.observe(auditSignalsFromLogs(kept, now), now),
          ...loginWatch.observe(loginFailuresFromLogs(kept), now),
        ]);
        return rejected;
      },
      metrics: (received) => {
        const now = Date.now();
        const { kept, rejected } = declared.filter(received, 'metrics');
        alerter.dispatch([...heartbeat.seen(servicesOf(kept), now), ...collectorWatch.observe(kept, now)]);
        // The partial success counts data points, not metrics.
        if (!rejected) return undefined;
        const points = (metrics: typeof received) => metrics.reduce((sum, metric) => sum + metric.points.length, 0);
        return { ...rejected, count: points(received) - points(kept) };
      },
      spans: (received) => {
        const now = Date.now();
        const { kept, rejected } = declared.filter(received, 'spans');
        alerter.dispatch([...heartbeat.seen(servicesOf(kept), now), ...rules.observe(signalsFromSpans(kept), now)]);
        return rejected;
      },
    },
  });

  const tickMs = Math.max(100, Math.min(1000, Math.floor(config.windowMs / 4)));
  let ticker: NodeJS.Timeout | undefined;
  let url = '';
  let stopping: Promise<void> | undefined;

  const tick = () => {
    try {
      const now = Date.now();
      loginWatch.tick(now);
      alerter.dispatch([
        ...heartbeat.tick(now),
        ...rules.tick(now),
        ...backups.tick(now),
        ...collectorWatch.tick(now),
        ...auditWatch.tick(now),
      ]);
    } catch (error) {
      logger.error({ err: error }, 'the alert rules failed on the timer');
    }
  };

  const closeServer = () =>
    new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), Math.min(config.shutdownTimeoutMs, 5_000));
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });

  return {
    get url() {
      return url;
    },
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const { address, port } = server.address() as AddressInfo;
      url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
      replicas?.start({ slack, silencer, links });
      const resumed = alerter.resume();
      if (resumed > 0) logger.info({ pending: resumed }, 'alerts left in the outbox by the last run: posting them');
      ticker = setInterval(tick, tickMs);
      const spikes = rules.openSpikes();
      if (spikes.length > 0)
        logger.info({ spikes: spikes.map((s) => `${s.service}:${s.status}`) }, 'error spikes restored from the state file');
    },
    stop() {
      stopping ??= (async () => {
        clearInterval(ticker);
        await closeServer();
        const drained = await alerter.drain(config.shutdownTimeoutMs);
        if (!drained) logger.warn({ pending: alerter.pending }, 'stopping with alerts still in the outbox: the next start posts them');
        else if (alerter.pending > 0)
          logger.info({ pending: alerter.pending }, 'stopping with alerts waiting for their group window: the next start posts them');
        heartbeat.flush();
        flushWarnings();
        undeclaredLog.close();
        await replicas?.stop();
        await silences.close();
        email?.close();
        outbox.close();
        store.close();
      })();
      return stopping;
    },
  };
}
