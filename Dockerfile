# The Action's image: gate as one static binary (musl) on an empty base, plus the CA bundle
# for GitHub's API and Function URLs. CI checks the result with gate itself (≤ 20 MB).
ARG RUST_IMAGE=docker.io/library/rust:1.88-alpine3.22
FROM ${RUST_IMAGE} AS build
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY benches benches
RUN cargo build --release --locked --bin gate \
    && strip target/release/gate \
    && mkdir -p /out/tmp && cp target/release/gate /out/gate

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/gate /usr/local/bin/gate
COPY --from=build --chmod=1777 /out/tmp /tmp
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# No USER: GitHub runs Docker actions as root so that they can write the workspace and the
# runner's files ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY).
ENTRYPOINT ["/usr/local/bin/gate"]
CMD ["--help"]
