package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/render"
	"github.com/ecrdoctor/ecrdoctor/fixtures"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func report(t *testing.T, fixture string) *diagnose.Report {
	t.Helper()
	snap, err := collect.LoadDir(context.Background(), filepath.Join(fixtures.Dir(), fixture), collect.LoadOptions{Repository: "my-repo"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := diagnose.Analyze(snap)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./diagnose/render -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./diagnose/render -update refreshes it after review)\n--- got ---\n%s", path, got)
	}
}

// TestGolden renders the hand-built reports of testdata/*.json (written
// once from fixtures, edited by hand since, never produced by Analyze here:
// a change of the analysis's wording changes no golden file). Each must come
// back from the JSON renderer byte for byte, and as the text and Markdown of
// the golden files next to it.
func TestGolden(t *testing.T) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	if len(inputs) < 8 {
		t.Fatalf("%d hand-built reports in testdata, want the 8 or more this test was written with", len(inputs))
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var r diagnose.Report
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil {
				t.Fatalf("%s is not a report: %v", in, err)
			}
			var text, js, md bytes.Buffer
			if err := render.Text(&text, &r, render.TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := render.JSON(&js, &r); err != nil {
				t.Fatal(err)
			}
			if err := render.Markdown(&md, &r); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(js.Bytes(), raw) {
				t.Errorf("render.JSON does not give %s back (a field renamed, dropped or reordered?)\n--- got ---\n%s", in, js.Bytes())
			}
			golden(t, name+".txt", text.Bytes())
			golden(t, name+".md", md.Bytes())
		})
	}
}

// TestTextLeadsWithRootCause: the first line is the verdict and the root
// cause in one sentence; off a terminal there are no escape codes and no
// box-drawing or symbol characters.
func TestTextLeadsWithRootCause(t *testing.T) {
	r := report(t, "seed-grant-in-repository-policy")
	var b bytes.Buffer
	if err := render.Text(&b, r, render.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(b.String(), "\n")
	if !strings.HasPrefix(first, "FAILING: ") || !strings.Contains(first, "repository policy") {
		t.Errorf("first line = %q", first)
	}
	if strings.ContainsAny(b.String(), "\x1b✗✓•│─") {
		t.Errorf("plain output contains escape codes or symbols")
	}
	var tb bytes.Buffer
	if err := render.Text(&tb, r, render.TextOptions{Terminal: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tb.String(), "✗") {
		t.Errorf("terminal output has no verdict mark")
	}
}

// TestJSONHasNoNullLists walks every report: a ticket bot must never meet
// null where a list is expected; only "destination" may be null.
func TestJSONHasNoNullLists(t *testing.T) {
	list, err := fixtures.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		t.Run(x.Name, func(t *testing.T) {
			var b bytes.Buffer
			if err := render.JSON(&b, report(t, x.Name)); err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(b.Bytes(), &v); err != nil {
				t.Fatal(err)
			}
			m := v.(map[string]any)
			for _, k := range []string{"format_version", "repository", "source", "verdict", "destinations", "findings", "events", "warnings"} {
				if _, ok := m[k]; !ok {
					t.Errorf("report lacks %q", k)
				}
			}
			walk(t, "", v)
		})
	}
}

func walk(t *testing.T, path string, v any) {
	switch x := v.(type) {
	case nil:
		if !strings.HasSuffix(path, ".destination") {
			t.Errorf("%s is null", path)
		}
	case map[string]any:
		for k, c := range x {
			walk(t, path+"."+k, c)
		}
	case []any:
		for i, c := range x {
			walk(t, path+"["+string(rune('0'+i%10))+"]", c)
		}
	}
}

// A live run tried CloudTrail: when nothing was read, the footer points at
// the warnings rather than saying it was not collected.
func TestLiveFooterWhenCloudTrailFailed(t *testing.T) {
	r := report(t, "registry-policy-missing")
	r.Events = diagnose.EventSummary{}
	r.APICalls = map[string]int{"ecr": 9, "cloudtrail": 2, "sts": 1}
	var b bytes.Buffer
	if err := render.Text(&b, r, render.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "CloudTrail: not read (see the warnings), so failed replication calls could not be checked (add --events PATH to read trail files instead); 12 AWS API call(s).") {
		t.Errorf("footer:\n%s", b.String())
	}
}
