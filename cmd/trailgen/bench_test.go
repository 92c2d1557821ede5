package main

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

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
// CloudTrail delivers them) from disk, from an S3 stand-in (a fast network
// side) and from moto, with each path's default workers, for the same
// question. MB/s is of uncompressed JSON, as BenchmarkRead's.
//
// Wall time is the pace on an idle machine; CPU time tells the reader's
// cost from the server's on a busy one. cpu-s/GB is the benchmark process's
// CPU per GB of JSON: the reader's, and for s3-standin the in-process
// server's too; s3-standin-process runs the stand-in in a process of its
// own and moto is one, so their cpu-s/GB is the reader's alone (the SDK,
// HTTP and the loopback copies included) and server-cpu-s/GB the server's.
// server-cores is the server's CPU over the wall time: moto, a Python
// server (one interpreter lock), cannot pass 1. s3-request is the reader's
// CPU per request, paid per GET and LIST (gets/op, lists/op) on top of the
// scan.
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
	// measure runs op b.N times and reports CPU per GB of JSON: this
	// process's, and server's (another process's) when it is not nil.
	measure := func(b *testing.B, server func() time.Duration, op func()) {
		b.SetBytes(m.JSONBytes)
		gb := float64(m.JSONBytes) / 1e9
		var s0 time.Duration
		if server != nil {
			s0 = server()
		}
		c0, t0 := processCPU(), time.Now()
		for b.Loop() {
			op()
		}
		n, wall := float64(b.N), time.Since(t0)
		b.ReportMetric((processCPU()-c0).Seconds()/n/gb, "cpu-s/GB")
		if server != nil {
			d := server() - s0
			b.ReportMetric(d.Seconds()/n/gb, "server-cpu-s/GB")
			b.ReportMetric(d.Seconds()/wall.Seconds(), "server-cores")
		}
	}
	b.Run("local", func(b *testing.B) {
		measure(b, nil, func() {
			res, err := trail.Read(context.Background(), []string{root}, nil, opts)
			check(b, res, err)
		})
	})
	s3Run := func(b *testing.B, url string, server func() time.Duration) {
		a := collect.AWS{LoadConfig: func(context.Context, string, string) (aws.Config, error) {
			return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}, nil
		}}
		measure(b, server, func() {
			res, _, err := collect.S3Events(context.Background(), collect.S3Options{URLs: []string{"s3://org-trail"}, Trail: opts, Region: "us-east-1", AWS: a})
			check(b, res, err)
		})
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
			s3Run(b, s.URL, nil)
			b.ReportMetric(float64(s.Gets.Load())/float64(b.N), "gets/op")
			b.ReportMetric(float64(s.Lists.Load())/float64(b.N), "lists/op")
		})
	}
	b.Run("s3-standin-process", func(b *testing.B) {
		s := awstest.StartS3StandInProcess(b, "org-trail", filepath.Dir(root), 0)
		s3Run(b, s.URL, s.CPU)
	})
	b.Run("s3-moto", func(b *testing.B) {
		// moto_server itself, not the tests' counting proxy in this process.
		moto := awstest.StartMoto(b)
		moto.PutObjects(b, "org-trail", files)
		s3Run(b, moto.MotoURL, moto.CPU)
	})
	// What a request costs the reader (the SDK and HTTP), which a scan
	// pays per GET and LIST whatever the object's size: GETs of a 1 kB
	// object from the stand-in's process, 16 at a time, 64 an op.
	b.Run("s3-request", func(b *testing.B) {
		dir := b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "small"), make([]byte, 1000), 0o644); err != nil {
			b.Fatal(err)
		}
		s := awstest.StartS3StandInProcess(b, "bkt", dir, 0)
		client := s3.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")},
			func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true })
		const perOp = 64
		get := func() {
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					for range perOp / 16 {
						out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("small")})
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, out.Body)
						out.Body.Close()
					}
				})
			}
			wg.Wait()
		}
		get() // connections open
		s0, c0 := s.CPU(), processCPU()
		for b.Loop() {
			get()
		}
		n := float64(b.N * perOp)
		b.ReportMetric(float64((processCPU()-c0).Microseconds())/n, "cpu-µs/request")
		b.ReportMetric(float64((s.CPU()-s0).Microseconds())/n, "server-cpu-µs/request")
	})
}

// processCPU is this process's CPU time, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
