# Memory settings of the long-running host process (`switchyard serve`; Electron's main process through
# scripts/start.sh), sourced by bin/switchyard and scripts/start.sh and read by `npm run bench:topology`, which
# measures them (README, "Measured"). They must be given when the process starts:
# - V8: a heap that grows in small steps instead of doubling (--optimize-for-size) and a 2 MiB young generation
#   instead of 16 MiB (--max-semi-space-size=2). At 20k images the host's live heap is ~55 MiB; with V8's defaults
#   its committed heap reached 2-4x that between full collections.
# - glibc: two malloc arenas instead of eight per core, which V8's helper threads otherwise each fill and keep.
SWITCHYARD_V8_FLAGS="--optimize-for-size --max-semi-space-size=2"
SWITCHYARD_MALLOC_ARENA_MAX=2
