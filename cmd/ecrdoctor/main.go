// Command ecrdoctor explains why Amazon ECR images do not replicate to another
// account or region, proves it with evidence and prints the exact fix.
package main

import (
	"os"
	"runtime/debug"
)

func main() {
	tuneGC()
	os.Exit(Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// tuneGC trades memory for time in a short-lived process: most runs allocate
// a few megabytes and end before a garbage collection pays off. The memory
// limit keeps the heap bounded where a run does grow (large CloudTrail scans).
// GOGC and GOMEMLIMIT set by the user win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(96 << 20)
	}
}
