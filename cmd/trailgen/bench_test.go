package main

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

var (
	benchOnce sync.Once
	benchDir  string
	benchMan  *manifest
	benchErr  error
)

// benchCorpus is a 32 MB corpus shared by the benchmarks of one run.
func benchCorpus(b *testing.B) (string, *manifest) {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "trailgen-bench-")
		if benchErr == nil {
			benchMan, benchErr = generate(benchDir, 32<<20, 1)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return filepath.Join(benchDir, "AWSLogs"), benchMan
}

func benchRead(b *testing.B, workers int) {
	root, m := benchCorpus(b)
	b.SetBytes(m.JSONBytes)
	for b.Loop() {
		res, err := trail.Read(context.Background(), []string{root}, nil, trail.Options{Repository: "my-repo", Workers: workers})
		if err != nil || len(res.Events) != len(m.Needles) {
			b.Fatalf("got %v events, want %d (err %v)", res, len(m.Needles), err)
		}
	}
}

func benchDrain(b *testing.B, workers int) {
	root, m := benchCorpus(b)
	b.SetBytes(m.JSONBytes)
	for b.Loop() {
		if _, _, err := trail.Drain(context.Background(), []string{root}, trail.Options{Workers: workers}); err != nil {
			b.Fatal(err)
		}
	}
}

// The pairs to compare: Read should cost little more than Drain, and two
// workers about half of one.
func BenchmarkRead1(b *testing.B)  { benchRead(b, 1) }
func BenchmarkRead2(b *testing.B)  { benchRead(b, 2) }
func BenchmarkDrain1(b *testing.B) { benchDrain(b, 1) }
func BenchmarkDrain2(b *testing.B) { benchDrain(b, 2) }
