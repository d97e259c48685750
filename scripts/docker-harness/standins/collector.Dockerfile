# otel/opentelemetry-collector-contrib stand-in: Drop's own ocb build (npm run collector:build, the same pinned release
# and every component the configs use) at the upstream image's path, FROM scratch like the upstream image.
FROM scratch
COPY otelcol /otelcol-contrib
USER 10001
EXPOSE 4317 4318
ENTRYPOINT ["/otelcol-contrib"]
CMD ["--config", "/etc/otelcol-contrib/config.yaml"]
