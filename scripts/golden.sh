#!/usr/bin/env bash
# The golden capture for refactors: run one `gate` binary over the shipped fixtures and the
# bundled function's images, writing every output format into OUTDIR. A refactor that keeps
# behaviour leaves `diff -r` of two captures (before, after) empty.
#
#   scripts/golden.sh target/debug/gate /tmp/golden-before
#   ... refactor, rebuild ...
#   scripts/golden.sh target/debug/gate /tmp/golden-after && diff -r /tmp/golden-{before,after}
#
# Needs build/function/{naive,optimized}.tar (scripts/build-function-images.sh).
set -uo pipefail

gate=$(realpath "$1")
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
fx=${GATE_FIXTURES:-$root/../shared/fixtures}
[ -d "$fx" ] || fx=/work/shared/fixtures
fx=$(realpath "$fx")
rm -rf "$out" && mkdir -p "$out"
cd "$root"

# One case: NAME then gate's arguments. Every output it can write goes under OUTDIR/NAME.
run() {
    local name=$1
    shift
    local d="$out/$name"
    mkdir -p "$d"
    "$gate" "$@" >"$d/stdout" 2>"$d/stderr"
    echo $? >"$d/exit"
}

# check: every renderer at once.
check() {
    local name=$1
    shift
    local d="$out/$name"
    run "$name" check "$@" -o "$d/report.json" --markdown-output "$d/comment.md" \
        --sarif-output "$d/results.sarif" --html "$d/report.html" --junit "$d/junit.xml"
}

images=$fx/images
reports=$fx/reports
check naive build/function/naive.tar
check naive-sbom build/function/naive.tar --sbom-output "$out/naive-sbom.cdx.json"
check optimized build/function/optimized.tar --baseline tests/data/function-naive-full-report.json
check naive-scanners build/function/naive.tar \
    --trivy "$reports/trivy/pip.json" --grype "$reports/grype/grype-image.json" \
    --audit "$reports/cargo-audit/vulnerable.audit.json" \
    --sarif "$reports/sarif/bandit.sarif"
check naive-deployment build/function/naive.tar \
    --deployment "$fx/iac/aws-aws-sam-cli-invoke-template_image.yaml"
check naive-plan build/function/naive.tar \
    --deployment "$fx/iac/aws-aws-sam-cli-invoke-terraform-simple_application_no_building_logic-custom-plan.json"
for img in dive-test-docker-image dive-test-oci-zstd-image dive-test-kaniko-image \
    ggcr-whiteout_image regclient-layer-wh stereoscope-valid-oci; do
    check "$img" "$images/$img.tar"
done
check multiplatform "$images/stereoscope-multiplatform_oci_dir"
check layout-index "$images/ggcr-layout-test_index"
check text-format build/function/naive.tar --format json

for f in "$reports"/trivy/*.json "$reports"/grype/*.json "$reports"/cargo-audit/*.json \
    "$reports"/cyclonedx/*.json "$reports"/sarif/*.sarif "$reports"/trivy-local/*.json; do
    kind=$(basename "$(dirname "$f")")
    name=$(basename "$f")
    run "security-$kind-${name%.*}" security "$f" --format json
    run "security-$kind-${name%.*}-md" security "$f" --format markdown
done

for t in "$fx"/iac/*.yaml "$fx"/iac/*.json "$fx"/iac/*.tf; do
    check "iac-$(basename "$t")" build/function/optimized.tar --deployment "$t"
done
# A CycloneDX document is stamped with a fresh serial number and the time: not behaviour.
sed -i -E 's/"serialNumber": "urn:uuid:[0-9a-f-]+"/"serialNumber": "urn:uuid:X"/; s/"timestamp": "[^"]+"/"timestamp": "X"/' \
    "$out/naive-sbom.cdx.json"
echo "captured $(find "$out" -type f | wc -l) files in $out"
