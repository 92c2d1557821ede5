package main

import (
	"container/heap"
	"slices"

	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// defaultEventsLimit is how many events the text table shows by default: a
// screenful many times over, and what a terminal can still be scrolled
// through. A million denials are counted, not held.
const defaultEventsLimit = 1000

// eventTable takes the events of a streamed read for the text table: it
// keeps the newest limit of them (0: all), in the order trail.Read sorts
// them, and counts every one for the summary, so that its memory does not
// grow with the number of events.
type eventTable struct {
	limit int
	kept  keptEvents
	seq   int
	// What the summary says of all the events, kept or not.
	total, failed, ok int
	repos             map[string]bool // repositories of the failed ones
}

func newEventTable(limit int) *eventTable {
	return &eventTable{limit: limit, repos: map[string]bool{}}
}

func (t *eventTable) add(e trail.Event) error {
	t.total++
	if e.Failed() {
		t.failed++
		if e.Repository != "" {
			t.repos[e.Repository] = true
		}
	} else {
		t.ok++
	}
	t.seq++
	k := keptEvent{e, t.seq}
	switch {
	case t.limit <= 0 || len(t.kept) < t.limit:
		heap.Push(&t.kept, k)
	case k.before(t.kept[0]):
		t.kept[0] = k // it is newer than the oldest kept
		heap.Fix(&t.kept, 0)
	}
	return nil
}

// events are the kept events, newest first.
func (t *eventTable) events() []trail.Event {
	sorted := slices.Clone(t.kept)
	slices.SortFunc(sorted, func(a, b keptEvent) int {
		if a.before(b) {
			return -1
		}
		return 1
	})
	out := make([]trail.Event, len(sorted))
	for i, k := range sorted {
		out[i] = k.Event
	}
	return out
}

// keptEvent is an event with the order it came in, which settles the ties
// trail.CompareEvents leaves as Read's stable sort does.
type keptEvent struct {
	trail.Event
	seq int
}

func (a keptEvent) before(b keptEvent) bool {
	if c := trail.CompareEvents(a.Event, b.Event); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}

// keptEvents is a heap whose root is the event the table would show last.
type keptEvents []keptEvent

func (h keptEvents) Len() int           { return len(h) }
func (h keptEvents) Less(i, j int) bool { return h[j].before(h[i]) }
func (h keptEvents) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *keptEvents) Push(x any)        { *h = append(*h, x.(keptEvent)) }
func (h *keptEvents) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
