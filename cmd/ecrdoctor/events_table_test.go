package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// The table keeps the newest --limit events, in the order trail.Read
// sorts them (ties by id, then source, then as they came), however many
// come and in whatever order; it counts all of them.
func TestEventTableKeepsTheNewest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{0, 1, 7, 500} {
		var all []trail.Event
		for i := range n {
			e := trail.Event{Time: base.Add(time.Duration(rng.IntN(20)) * time.Minute), EventName: "ReplicateImage", Repository: fmt.Sprint("r", rng.IntN(3))}
			if rng.IntN(4) > 0 {
				e.EventID = fmt.Sprint("id", rng.IntN(50)) // ties on time and id
			}
			if rng.IntN(3) > 0 {
				e.ErrorCode = "AccessDenied"
			}
			e.Source = awsid.Source{File: fmt.Sprint("f", rng.IntN(3), ".json")} // and on source: only arrival settles them
			if rng.IntN(2) == 0 {
				e.Source.Record = i
			}
			all = append(all, e)
		}
		want := slices.Clone(all)
		slices.SortStableFunc(want, trail.CompareEvents) // trail.Read's order
		failed := 0
		for _, e := range all {
			if e.Failed() {
				failed++
			}
		}
		for _, limit := range []int{0, 1, 3, 100, 1000} {
			tb := newEventTable(limit)
			for _, e := range all {
				tb.add(e)
			}
			w := want
			if limit > 0 && limit < len(w) {
				w = w[:limit]
			}
			got := tb.events()
			if fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("n=%d limit=%d: the table holds\n%v\nwant\n%v", n, limit, got, w)
			}
			if tb.total != n || tb.failed != failed || tb.ok != n-failed {
				t.Errorf("n=%d limit=%d: counted %d (%d failed, %d ok), want %d (%d failed)", n, limit, tb.total, tb.failed, tb.ok, n, failed)
			}
		}
	}
}

// denialsFile writes n denied ReplicateImage records, one trail file.
func denialsFile(tb testing.TB, n int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "trail.json")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(`{"Records":[`)
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		if i > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication","accountId":"111111111111"},"eventTime":"%s","eventSource":"ecr.amazonaws.com","eventName":"ReplicateImage","awsRegion":"ap-northeast-1","errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication is not authorized to perform: ecr:ReplicateImage on resource: arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo because no resource-based policy allows the ecr:ReplicateImage action","requestParameters":{"registryId":"222222222222","repositoryName":"my-repo"},"eventID":"e%d","recipientAccountId":"111111111111"}`,
			base.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i)
	}
	w.WriteString(`]}`)
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkEventsText prints the text table of 20,000 and 200,000
// denials: peak-heap-MB (sampled) stays flat with the default --limit,
// and grows with the events when the table must hold them all
// (--limit 0, which is what the table did before it was bounded).
func BenchmarkEventsText(b *testing.B) {
	for _, n := range []int{20000, 200000} {
		path := denialsFile(b, n)
		for _, limit := range []int{defaultEventsLimit, 0} {
			b.Run(fmt.Sprintf("denials=%d/limit=%d", n, limit), func(b *testing.B) {
				o := eventsOptions{Paths: []string{path}, Output: "text", Limit: limit}
				s := IO{Out: io.Discard, Err: io.Discard}
				peak := samplePeakHeap(b)
				for b.Loop() {
					err := runEvents(context.Background(), s, o)
					if code := exitCode(err, io.Discard); code != exitFindings {
						b.Fatalf("exit %d (%v), want %d", code, err, exitFindings)
					}
				}
				b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
			})
		}
	}
}

// samplePeakHeap samples the heap in use every few milliseconds until the
// func it returns is called, which gives the highest seen.
func samplePeakHeap(b *testing.B) func() uint64 {
	b.Helper()
	runtime.GC()
	var peak atomic.Uint64
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for !stop.Load() {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() uint64 {
		stop.Store(true)
		<-done
		return peak.Load()
	}
}
