// Command trailgen writes a deterministic synthetic CloudTrail corpus and measures ecrdoctor's trail reader against it.
//
// The documented comparison (generates the corpus on first use, about 1 GB
// of JSON, then prints the ratios the issue asks for):
//
//	go run ./cmd/trailgen compare -dir /tmp/ecrdoctor-corpus -size 1g
//
// Other uses:
//
//	go run ./cmd/trailgen gen -dir /tmp/c -size 64m -seed 1   # corpus only
//	go run ./cmd/trailgen scan -dir /tmp/c -workers 2         # one scan; prints peak memory
//
// The corpus is an organization trail (AWSLogs/o-.../<account>/CloudTrail/
// <region>/YYYY/MM/DD/*.json.gz) of realistic records, with a few hundred
// needles (replication calls denied for my-repo) and thousands of
// near-misses; manifest.json lists both by event id.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: trailgen gen|compare|scan -dir DIR [-size 1g] [-seed N]")
		return 2
	}
	fs := flag.NewFlagSet("trailgen "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "corpus folder (keep it outside the repository, e.g. under /tmp)")
	sizeArg := fs.String("size", "1g", "uncompressed JSON to generate: bytes with an optional k, m or g suffix")
	seed := fs.Uint64("seed", 1, "random seed; the same seed and size give the same files")
	workers := fs.Int("workers", 0, "scan workers (scan only; 0 = one per CPU)")
	runs := fs.Int("runs", 3, "timed runs per measurement; the fastest counts (compare only)")
	noJQ := fs.Bool("no-jq", false, "skip the zcat | jq comparison (compare only)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "trailgen: -dir is required")
		return 2
	}
	size, err := parseSize(*sizeArg)
	if err != nil {
		fmt.Fprintf(stderr, "trailgen: -size: %v\n", err)
		return 2
	}
	ctx := context.Background()
	switch args[0] {
	case "gen":
		m, err := generate(*dir, size, *seed)
		if err != nil {
			fmt.Fprintf(stderr, "trailgen: generating: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %d files, %d records, %d bytes of JSON, %d needles, %d near-misses under %s\n",
			m.Files, m.Records, m.JSONBytes, len(m.Needles), len(m.NearMisses), *dir)
	case "compare":
		if err := compare(ctx, stdout, stderr, *dir, size, *seed, *runs, !*noJQ); err != nil {
			fmt.Fprintf(stderr, "trailgen: %v\n", err)
			return 1
		}
	case "scan":
		if err := scanOnce(ctx, stdout, *dir, *workers); err != nil {
			fmt.Fprintf(stderr, "trailgen: %v\n", err)
			return 1
		}
	default:
		fmt.Fprintf(stderr, "trailgen: unknown command %q\n", args[0])
		return 2
	}
	return 0
}

func parseSize(s string) (int64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for suffix, m := range map[string]int64{"k": 1 << 10, "m": 1 << 20, "g": 1 << 30} {
		if v, ok := strings.CutSuffix(strings.TrimSuffix(strings.TrimSuffix(s, "ib"), "b"), suffix); ok {
			s, mult = v, m
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("cannot read %q as a size", s)
	}
	return int64(v * float64(mult)), nil
}

// ensureCorpus reuses the corpus in dir if it was made with the same size
// and seed, and generates it otherwise.
func ensureCorpus(dir string, size int64, seed uint64, log io.Writer) (*manifest, error) {
	if b, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err == nil {
		var m manifest
		if json.Unmarshal(b, &m) == nil && m.Size == size && m.Seed == seed {
			return &m, nil
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, "AWSLogs")); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "generating %d bytes of trail files under %s ...\n", size, dir)
	return generate(dir, size, seed)
}
