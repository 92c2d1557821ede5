package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
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

// BenchmarkS3Scan reads the benchmark corpus (1 MB JSON files, gzipped, as
// CloudTrail delivers them) from disk, from an in-process S3 stand-in (a
// fast network side) and from moto, with each path's default workers, for
// the same question. MB/s is of uncompressed JSON, as BenchmarkRead's: if
// s3-standin is about local, the reader, not the S3 path, sets the pace;
// s3-moto adds a Python server's pace on top.
func BenchmarkS3Scan(b *testing.B) {
	root, m := benchCorpus(b)
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := os.ReadFile(p)
		rel, _ := filepath.Rel(filepath.Dir(root), p)
		files[filepath.ToSlash(rel)] = body
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	logs := 0
	for k := range files {
		if trail.IsTrailFile(k) {
			logs++
		}
	}
	opts := trail.Options{Repository: "my-repo"}
	check := func(b *testing.B, res *trail.Result, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Events) != len(m.Needles) || res.Scanned.Files != logs {
			b.Fatalf("%d events from %d files, want %d from %d", len(res.Events), res.Scanned.Files, len(m.Needles), logs)
		}
	}
	b.Run("local", func(b *testing.B) {
		b.SetBytes(m.JSONBytes)
		for b.Loop() {
			res, err := trail.Read(context.Background(), []string{root}, nil, opts)
			check(b, res, err)
		}
	})
	s3Run := func(b *testing.B, a collect.AWS) {
		b.SetBytes(m.JSONBytes)
		for b.Loop() {
			res, _, err := collect.S3Events(context.Background(), collect.S3Options{URLs: []string{"s3://org-trail"}, Trail: opts, Region: "us-east-1", AWS: a})
			check(b, res, err)
		}
	}
	// A distant S3 answers each request some 10 ms later: the listing and
	// GETs in flight, not the reader, set that pace.
	for _, latency := range []time.Duration{0, 10 * time.Millisecond} {
		name := "s3-standin"
		if latency > 0 {
			name += "-" + latency.String()
		}
		b.Run(name, func(b *testing.B) {
			s := awstest.StartS3StandIn(b, "org-trail", files)
			s.Latency = latency
			s3Run(b, collect.AWS{
				LoadConfig: func(context.Context, string, string) (aws.Config, error) {
					return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}, nil
				},
			})
			b.ReportMetric(float64(s.Gets.Load())/float64(b.N), "gets/op")
			b.ReportMetric(float64(s.Lists.Load())/float64(b.N), "lists/op")
		})
	}
	b.Run("s3-moto", func(b *testing.B) {
		env := awstest.New(b)
		env.Moto.PutObjects(b, "org-trail", files)
		s3Run(b, collect.AWS{LoadConfig: env.LoadConfig})
	})
}
