// Package pipeline places every task of a multi-task pipeline (a chain from a
// multi-document YAML, or a DAG through depends_on) so that the whole
// pipeline is cheapest, or fastest, counting the data moved between clouds.
//
// Cost model. A task placed on a candidate runs for the time_estimate of the
// candidate's accelerator (else the request's default estimate, else 1 h, as
// in SkyPilot) and costs hours × the placement's hourly price for all nodes.
// Data moves on the pipeline's edges: the producer's outputs (or the
// consumer's inputs when the producer declares none), and a task's inputs
// that live in a bucket (s3://, gs://, Azure blob URLs) and are not produced
// upstream. Moving data costs SkyPilot's egress table of the sending cloud
// (EgressCost) and GB × 8 / bandwidth hours, and is free inside one cloud,
// as in SkyPilot (inter-region charges are not modelled). Time is the sum of
// runtimes and transfers, since skyplan runs a pipeline's tasks one after
// another.
//
// Search. The search core (Problem) sees only numbers: per-task options
// (cloud, cost, hours), edges with GB, and bucket inputs, so it is tested
// against brute force with synthetic candidates. Because egress depends only
// on the clouds at both ends of an edge, each task's candidates collapse,
// exactly, to the best one per cloud. Chains are then solved by dynamic
// programming over (task, candidate); general DAGs by depth-first
// branch-and-bound over the same per-cloud states, with a first incumbent
// from a greedy pass and from every all-in-one-cloud plan, and a bound that
// adds each unfixed task's cheapest state given the egress to its fixed
// neighbours. Both are exact; brute-force tests check it.
//
// Why not an ILP like SkyPilot (pulp + CBC)? There is no mature pure-Go MILP
// solver (gonum's lp package solves linear programs only; the Go bindings to
// GLPK, lp_solve or HiGHS need cgo and system libraries), and after the
// per-cloud collapse the search space is at most 3^n for n tasks, which
// branch-and-bound prunes to well under a millisecond for 20-task DAGs
// (see the benchmarks).
package pipeline
