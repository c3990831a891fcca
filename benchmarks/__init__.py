"""gradrpc's benchmarks: `python -m benchmarks` (or `make bench`) measures everything in one
run on this machine, prints a table of medians and ratios next to the targets, and writes
`bench-results.json` at the repository root. `--quick` for a ~1 minute run, `--only B2,B5`
for some of them. No timing here is asserted anywhere: the numbers are for people to read.
"""
