//go:build unix

// Package benchcpu reports the CPU time of a benchmark per operation
// (cpu-ns/op), steadier than wall time on a machine shared with other work.
package benchcpu

import (
	"syscall"
	"testing"
	"time"
)

// PerOp starts measuring the process's CPU time (user + system, garbage
// collection included); the func it returns reports it per operation as
// cpu-ns/op. On a machine shared with other work, wall time per operation
// grows with the load, CPU time much less.
func PerOp(b *testing.B) func() {
	c0 := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
