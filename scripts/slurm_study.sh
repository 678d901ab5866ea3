#!/usr/bin/env bash
# One run of an atrous study per Slurm array task. Make the plan once, then submit one task per
# line; each task runs the line its task id picks (an `atrous train …` command that trains one run
# folder). Afterwards, `atrous study --report-only` with the plan's flags writes the report.
#
#   atrous study --controls --out runs/study --plan > plan.txt
#   sbatch --array=1-$(wc -l < plan.txt) scripts/slurm_study.sh plan.txt
#   atrous study --controls --out runs/study --report-only
#
# `atrous` must be on PATH on the compute nodes (e.g. `cargo install --path crates/cli`), and the
# run folders on a file system every node sees. Results do not depend on the thread count.
#SBATCH --job-name=atrous-study
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=01:00:00
#SBATCH --output=atrous-study-%A_%a.log
set -euo pipefail
plan=${1:-plan.txt}
line=$(sed -n "${SLURM_ARRAY_TASK_ID:?run me as a Slurm array task}p" "$plan")
[ -n "$line" ] || { echo "no line ${SLURM_ARRAY_TASK_ID} in $plan" >&2; exit 1; }
echo "task ${SLURM_ARRAY_TASK_ID}: $line"
eval "$line --threads ${SLURM_CPUS_PER_TASK:-0}"
