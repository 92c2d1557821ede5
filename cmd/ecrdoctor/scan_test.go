package main

import (
	"encoding/json"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/fixtures"
)

// TestScanExitCodes pins the exit code of `ecrdoctor scan` on every
// whole-registry fixture, as its expect.json states it, and the verdict
// the JSON carries.
func TestScanExitCodes(t *testing.T) {
	list, err := fixtures.Scans()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		t.Run(x.Name, func(t *testing.T) {
			got, stdout, stderr := run(t, "", "scan", "--snapshot", x.Dir, "--output", "json")
			if got != x.Scan.Exit {
				t.Fatalf("exit code = %d, want %d\nstderr: %s", got, x.Scan.Exit, stderr)
			}
			var r struct {
				Verdict string `json:"verdict"`
				Pairs   []any  `json:"pairs"`
			}
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("stdout is not JSON: %v", err)
			}
			if r.Verdict != x.Scan.Verdict || len(r.Pairs) != len(x.Scan.Pairs) {
				t.Errorf("verdict %q with %d pairs, want %q with %d", r.Verdict, len(r.Pairs), x.Scan.Verdict, len(x.Scan.Pairs))
			}
		})
	}
}
