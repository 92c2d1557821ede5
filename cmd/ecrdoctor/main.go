// Command ecrdoctor explains why Amazon ECR images do not replicate to another
// account or region, proves it with evidence and prints the exact fix.
package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

func main() {
	tuneGC()
	os.Exit(Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// minHeapLimit is the soft memory limit of a run whose live heap is small.
const minHeapLimit = 96 << 20

// tuneGC trades memory for time in a short-lived process: most runs allocate
// a few megabytes and end before a garbage collection pays off. The soft
// memory limit keeps the heap bounded where a run does grow, but a fixed
// limit below the live heap makes the collector run without pause (a text
// table of 200,000 denials took 3x as long under 96 MiB): after every
// collection the limit is moved to twice the live heap, never below
// minHeapLimit, so it bounds the heap without ever thrashing. GOGC and
// GOMEMLIMIT set by the user win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(minHeapLimit)
		followLiveHeap(nil)
	}
}

// gcSentinel becomes garbage at once; its finalizer runs after the next
// collection. It is large enough not to share a tiny-allocator block, whose
// objects' finalizers may never run.
type gcSentinel struct{ _ [64]byte }

// followLiveHeap sets the soft memory limit from the live heap after each
// collection, until stop (nil for never) is set.
func followLiveHeap(stop *atomic.Bool) {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		if stop != nil && stop.Load() {
			return
		}
		debug.SetMemoryLimit(heapLimit(liveHeap()))
		followLiveHeap(stop)
	})
}

func heapLimit(live uint64) int64 { return max(minHeapLimit, int64(2*live)) }

func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
