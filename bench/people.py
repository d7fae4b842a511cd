"""The known log-ins the generator creates and the benchmark signs in with (shared by both scripts).

Every generated account has the same password, so any of them can be used to look around a
benchmark database by hand (`selfassess serve` against it, then sign in).
"""

BENCH_PASSWORD = "bench-password-2026"

# A quality officer of the largest council (a big county: ~900 services), with ~35 services
# assigned, some of them with visits being scored now.
OFFICER = "bench.officer@large-county.bench"
# A council admin of the same council.
ADMIN = "bench.admin@large-county.bench"
# A manager at the largest national provider chain (services in many councils' areas), with
# self-assessments in progress and agreed action plans.
PROVIDER = "bench.manager@national-chain.bench"

# How many of each the generator sets up for the benchmark's concurrent clients to work on
# without treading on each other (one per client; more clients reuse them round-robin).
OWN_DRAFTS = 20  # the provider's draft self-assessments
OWN_SCORING_VISITS = 20  # the officer's visits in progress
