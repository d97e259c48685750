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
import { migrateStore, openStore } from './store/database';
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
 * The service, assembled: OTLP server → signals → rules (their state in the store) → alerter (outbox, groups,
 * silences) → Slack and email; the same server answers the silences API. A timer runs the rules even when nothing
 * arrives, so that a spike can end in silence. The store (store/) is the state file; with replicas, the shared
 * PostgreSQL database as well (cluster/replicas.ts).
 */
export interface AlertProcessor {
  /** http://host:port once started. */
  readonly url: string;
  start(): Promise<void>;
  /** Graceful: stops taking requests, finishes those in progress and the deliveries in flight, closes the state file. */
  stop(): Promise<void>;
}

export function createAlertProcessor(config: AlertsConfig, logger: Logger): AlertProcessor {
  const local = openStore({ file: config.stateFile });
  const outbox = new Outbox(local.db);
  const replicas = config.databaseUrl ? createReplicas({ ...config, databaseUrl: config.databaseUrl }, logger) : undefined;
  const silences = replicas?.silences ?? new SilenceStore(local.db);
  const silencer = new Silencer(silences, config.muteWindows);
  const undeclaredLog = new ThrottledLog(logger);
  const declared = new DeclaredServices(config.services, undeclaredLog);
  const links = { sentryIssuesUrl: config.sentryIssuesUrl, traceUrlTemplate: config.traceUrlTemplate, runbookUrl: config.runbookUrl };
  const slack = new SlackClient({
    links,
    webhookUrl: config.slackWebhookUrl,
    logger,
    maxAttempts: config.slackMaxAttempts,
    timeoutMs: config.slackTimeoutMs,
    maxRetryAfterMs: config.slackMaxRetryAfterMs,
    messagesPerSecond: config.slackMessagesPerSecond,
  });
  const email = config.email ? new EmailClient(config.email, logger, links) : undefined;

  /** What needs the state read from the store: built in start(), before the server takes a request. */
  interface Running {
    state: StateStore;
    rules: AlertRules;
    heartbeat: Heartbeat;
    backups: BackupWatch;
    collectorWatch: CollectorWatch;
    auditWatch: AuditWatch;
    loginWatch: LoginWatch;
    alerter: Alerter;
  }
  let running: Running | undefined;
  const assemble = async (): Promise<Running> => {
    await migrateStore(local);
    const state = await StateStore.open(local.db);
    const rules = new AlertRules({
      store: state,
      threshold: config.errorThreshold,
      windowMs: config.windowMs,
      cooldownMs: config.cooldownMs,
      onNote: (note, fields) => logger.info(fields, note),
    });
    const backups = new BackupWatch(state, config.backupGraceMs);
    const collectorWatch = new CollectorWatch(state, config.windowMs);
    const auditWatch = new AuditWatch(state, config.auditCheckpointGraceMs);
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
      state,
      config.heartbeatMs,
      undefined,
      undefined,
      (service) => declared.has(service) && !backups.has(service),
    );
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
        state,
        watches: [heartbeat, backups, collectorWatch, auditWatch, loginWatch],
        relay: replicas?.relay,
        stillQueued: replicas?.stillQueued,
      },
      { groupMs: config.groupMs },
    );
    return { state, rules, heartbeat, backups, collectorWatch, auditWatch, loginWatch, alerter };
  };
  const started = (): Running => {
    if (!running) throw new Error('the alert processor is not started');
    return running;
  };

  const { server, flushWarnings } = createAlertServer({
    maxBodyBytes: config.maxBodyBytes,
    logger,
    intakeToken: config.intakeToken,
    silencesApi: createSilencesApi({ token: config.apiToken, store: silences, silencer, logger }),
    intake: {
      logs: async (received) => {
        const { state, rules, heartbeat, backups, auditWatch, loginWatch, alerter } = started();
        const now = Date.now();
        const { kept, rejected } = declared.filter(received, 'log records');
        await alerter.dispatch([
          ...heartbeat.seen(servicesOf(kept), now),
          ...rules.observe(signalsFromLogs(kept, now), now),
          ...backups.observe(backupSignalsFromLogs(kept, now), now),
          ...auditWatch.observe(auditSignalsFromLogs(kept, now), now),
          ...loginWatch.observe(loginFailuresFromLogs(kept), now),
        ]);
        await state.flush();
        return rejected;
      },
      metrics: async (received) => {
        const { state, heartbeat, collectorWatch, alerter } = started();
        const now = Date.now();
        const { kept, rejected } = declared.filter(received, 'metrics');
        await alerter.dispatch([...heartbeat.seen(servicesOf(kept), now), ...collectorWatch.observe(kept, now)]);
        await state.flush();
        // The partial success counts data points, not metrics.
        if (!rejected) return undefined;
        const points = (metrics: typeof received) => metrics.reduce((sum, metric) => sum + metric.points.length, 0);
        return { ...rejected, count: points(received) - points(kept) };
      },
      spans: async (received) => {
        const { state, rules, heartbeat, alerter } = started();
        const now = Date.now();
        const { kept, rejected } = declared.filter(received, 'spans');
        await alerter.dispatch([...heartbeat.seen(servicesOf(kept), now), ...rules.observe(signalsFromSpans(kept), now)]);
        await state.flush();
        return rejected;
      },
    },
  });

  const tickMs = Math.max(100, Math.min(1000, Math.floor(config.windowMs / 4)));
  let ticker: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let url = '';
  let stopping: Promise<void> | undefined;

  const tick = async ({ state, rules, heartbeat, backups, collectorWatch, auditWatch, loginWatch, alerter }: Running) => {
    try {
      const now = Date.now();
      loginWatch.tick(now);
      await alerter.dispatch([
        ...heartbeat.tick(now),
        ...rules.tick(now),
        ...backups.tick(now),
        ...collectorWatch.tick(now),
        ...auditWatch.tick(now),
      ]);
      await state.flush();
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
      const parts = await assemble();
      running = parts;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const { address, port } = server.address() as AddressInfo;
      url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
      replicas?.start({ receivers: { slack, ...(email ? { email } : {}) }, silencer });
      const resumed = await parts.alerter.resume();
      if (resumed > 0) logger.info({ pending: resumed }, 'alerts left in the outbox by the last run: posting them');
      ticker = setInterval(() => {
        ticking ??= tick(parts).finally(() => (ticking = undefined));
      }, tickMs);
      const spikes = parts.rules.openSpikes();
      if (spikes.length > 0)
        logger.info({ spikes: spikes.map((s) => `${s.service}:${s.status}`) }, 'error spikes restored from the state file');
    },
    stop() {
      stopping ??= (async () => {
        clearInterval(ticker);
        await ticking;
        await closeServer();
        if (running) {
          const { alerter, heartbeat, state } = running;
          const drained = await alerter.drain(config.shutdownTimeoutMs);
          const pending = await alerter.pending().catch(() => undefined);
          if (!drained) logger.warn({ pending }, 'stopping with alerts still in the outbox: the next start posts them');
          else if (pending) logger.info({ pending }, 'stopping with alerts waiting for their group window: the next start posts them');
          heartbeat.flush();
          await state.flush().catch((error: unknown) => logger.error({ err: error }, 'the alert state could not be written'));
        }
        flushWarnings();
        undeclaredLog.close();
        await replicas?.stop();
        await silences.close();
        email?.close();
        await local.close();
      })();
      return stopping;
    },
  };
}
