# Builds any one Dealer CRM service:
#   docker build --build-arg SERVICE=crm-leads -t dealer-crm/leads .
# SERVICE is an executable product of Package.swift: crm-leads, crm-prospects,
# crm-aftersales, crm-customer-service, crm-coupons, crm-marketing, crm-gateway.
#
# Both stages are Debian bookworm so the rabbitmq-c we compile against (0.11,
# librabbitmq-dev) is the one we run with (librabbitmq4).

# The toolchain the code is developed with (Swift 6.3); override to pin a patch release.
ARG SWIFT_IMAGE=swift:6.3-bookworm

# ---------------------------------------------------------------- build stage
FROM ${SWIFT_IMAGE} AS build
# Required: fail at once rather than build a default service by mistake.
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "missing --build-arg SERVICE=crm-<service>" >&2; exit 1; }

# rabbitmq-c for Shared/CRabbitMQ; libxlsxwriter for the Excel exports; zlib for reading imported .xlsx;
# pango and cairo for Shared/CPangoCairo, the printable documents (PDF); libxml2 for Shared/CLibXML2,
# the HTML parser under the rich-text sanitiser.
# Versions are not pinned: bookworm point releases replace them, and pins would break the build.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        librabbitmq-dev libxlsxwriter-dev zlib1g-dev libpango1.0-dev libcairo2-dev libxml2-dev libqrencode-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Resolve dependencies in their own layer, so editing sources does not refetch them.
# Package.resolved is untracked; when the context has one, build exactly those versions.
COPY Package.* ./
RUN if [ -f Package.resolved ]; then swift package resolve --force-resolved-versions; \
    else swift package resolve; fi

COPY . .

# Static Swift stdlib/Foundation: the runtime image then needs only libc, libstdc++ and the
# C libraries above, not a Swift runtime.
RUN swift build -c release --product "${SERVICE}" --static-swift-stdlib

# Stage the binary with the SwiftPM resource bundles built for it (DealerCRM_<Target>.resources
# holds the SQL migrations). Bundle.module looks for them next to the executable.
WORKDIR /staging
RUN BIN_PATH="$(swift build -c release --package-path /build --show-bin-path)" \
    && cp "${BIN_PATH}/${SERVICE}" ./ \
    && find -L "${BIN_PATH}" -maxdepth 1 -name '*.resources' -exec cp -Ra {} ./ \; \
    && cp /usr/libexec/swift/linux/swift-backtrace-static ./ \
    && ln -s "${SERVICE}" service

# -------------------------------------------------------------- runtime stage
FROM debian:bookworm-slim
ARG SERVICE

# Unpinned for the same reason as above: the security fixes of bookworm point releases.
# The printable documents embed subsets of these fonts, which fontconfig finds by name: Noto
# Serif/Sans CJK SC (fonts-noto-cjk), and HanaMin (fonts-hanazono) for the rarer ideographs of
# CJK Extensions B–F; without them a document fails rather than print a name as boxes. fontconfig
# (fc-cache) builds the font cache at install, so a service on a read-only root need not.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        librabbitmq4 libxlsxwriter4 zlib1g libxml2 libstdc++6 ca-certificates tzdata \
        libpangocairo-1.0-0 libqrencode4 fontconfig fonts-noto-cjk fonts-hanazono \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home \
        --home-dir /app --shell /usr/sbin/nologin crm

# Files stay root-owned: the service only reads them (Kubernetes runs it on a read-only root fs).
WORKDIR /app
COPY --from=build /staging /app

LABEL org.opencontainers.image.title="dealer-crm ${SERVICE}"

# Symbolicated crash reports on stderr instead of a bare "Illegal instruction".
ENV SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/app/swift-backtrace-static \
    CRM_HTTP_HOST=0.0.0.0 \
    CRM_HTTP_PORT=8080 \
    CRM_LOG_FORMAT=json

# Numeric UID so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8080

# /app/service links to the binary chosen by SERVICE; exec form so SIGTERM reaches it directly
# (graceful shutdown: stop consuming, finish in-flight work, flush the outbox).
ENTRYPOINT ["/app/service"]
