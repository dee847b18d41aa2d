# The Action's image: gate as one static binary (musl) on Alpine with git (for the pull
# request's base policy) and the CA bundle for GitHub's API and Function URLs. CI checks the
# result with gate itself.
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

# Alpine with git, not scratch: on a pull request the gate reads gate.toml and its ignore file
# from the base commit's git objects (and fetches that one commit from a shallow checkout).
ARG RUNTIME_IMAGE=docker.io/library/alpine:3.22
FROM ${RUNTIME_IMAGE}
RUN apk add --no-cache git ca-certificates
COPY --from=build /out/gate /usr/local/bin/gate
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# No USER: GitHub runs Docker actions as root so that they can write the workspace and the
# runner's files ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY).
ENTRYPOINT ["/usr/local/bin/gate"]
CMD ["--help"]
