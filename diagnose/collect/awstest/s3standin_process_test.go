package awstest

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The stand-in's own process serves the folder's files by their paths.
func TestS3StandInProcessServesTheFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "AWSLogs", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "AWSLogs", "a", "f.json.gz"), []byte("body"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := StartS3StandInProcess(t, "bkt", dir, 0)
	for key, want := range map[string]int{"AWSLogs/a/f.json.gz": 200, "AWSLogs/a/none": 404} {
		resp, err := http.Get(s.URL + "/bkt/" + key)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || (want == 200 && string(body) != "body") {
			t.Errorf("GET %s: %d %q, want %d", key, resp.StatusCode, body, want)
		}
	}
}

// A command name may hold spaces and parentheses: the fields are counted
// from its closing one.
func TestStatCPU(t *testing.T) {
	stat := "4242 (moto (server) x) S 1 4240 4240 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 3 0 100 0 0"
	cpu, pgrp := statCPU(stat)
	if cpu != 3*time.Second || pgrp != 4240 {
		t.Errorf("cpu %v, group %d; want 3s (300 ticks), 4240", cpu, pgrp)
	}
}
