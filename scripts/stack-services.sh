# The services of the devnet stack, in start order (sourced by scripts/stack.sh, which defines `start`).
# Each line is one process; later issues add theirs.
:
