package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// TestCorpusIsDeterministicAndExact: the same seed gives the same files, and
// "events --repo my-repo" finds exactly the needles the manifest lists.
func TestCorpusIsDeterministicAndExact(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	ma, err := generate(a, 8<<20, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generate(b, 8<<20, 7); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", rel)
		}
		return nil
	})
	if len(ma.Needles) == 0 || len(ma.NearMisses) == 0 {
		t.Fatalf("corpus without needles or near-misses: %+v", ma)
	}
	res, err := trail.Read(context.Background(), []string{filepath.Join(a, "AWSLogs")}, nil, trail.Options{Repository: "my-repo"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Events {
		got = append(got, e.EventID)
	}
	slices.Sort(got)
	if !slices.Equal(got, ma.Needles) || res.Scanned.Records != ma.Records || res.Scanned.SkippedFiles != 4 {
		t.Fatalf("found %d events (want %d needles), %d records (want %d), %d skipped, warnings %v",
			len(got), len(ma.Needles), res.Scanned.Records, ma.Records, res.Scanned.SkippedFiles, res.Warnings)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1g": 1 << 30, "1GiB": 1 << 30, "64m": 64 << 20, "64MB": 64 << 20, "200k": 200 << 10, "1000": 1000} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := parseSize("lots"); err == nil || !strings.Contains(err.Error(), "size") {
		t.Errorf("parseSize(lots) = %v", err)
	}
}
