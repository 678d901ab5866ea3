#!/usr/bin/env bash
# Re-trains a sample of a study folder's runs with the current code and checks that each gives
# the recorded test and validation accuracy and the same model bytes (sha256 of
# model.safetensors). Exit status 0 only if every sampled run reproduces.
#
#   scripts/check_reproducible.sh [STUDY_DIR] [SAMPLE] [DATA_DIR] [--adopt OLD_REVISION]
#
# --adopt re-records runs made under OLD_REVISION as the current engine revision, only if one run
# of each of their architectures (added to the sample) reproduces bit for bit; for a change of
# how the revision is defined, not of the arithmetic.
#
# STUDY_DIR defaults to docs/study, SAMPLE to 4 (taken evenly across the runs in name order),
# DATA_DIR to $ATROUS_DATA or the repository's data/mnist. Float results depend on the
# instruction set the binary is built for: run it on the machine kind the study names.
set -euo pipefail
cd "$(dirname "$0")/.."
study=${1:-docs/study}
sample=${2:-4}
shift $(( $# < 2 ? $# : 2 ))
exec cargo run --release --quiet -p atrous-study --example check_reproducible -- "$study" "$sample" "$@"
