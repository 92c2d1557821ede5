package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/scangen"
	"github.com/ecrdoctor/ecrdoctor/diagnose/render"
	"github.com/ecrdoctor/ecrdoctor/fixtures"
)

func scanDir(t testing.TB, dir string) *diagnose.ScanReport {
	t.Helper()
	snap, scope, err := collect.LoadScanDir(context.Background(), dir, collect.ScanLoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := diagnose.Scan(snap, scope)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// orgGolden is the scan report of fixtures/organization as
// testdata/scan/organization.json holds it: written from the fixture by
// -update, read back otherwise, so a change of the checks' wording changes
// these goldens only when someone refreshes them after review.
func orgGolden(t *testing.T) (*diagnose.ScanReport, []byte) {
	t.Helper()
	path := filepath.Join("testdata", "scan", "organization.json")
	if *update {
		var b bytes.Buffer
		if err := render.ScanJSON(&b, scanDir(t, filepath.Join(fixtures.Dir(), "organization"))); err != nil {
			t.Fatal(err)
		}
		// The files are named as a user at the repository's root sees
		// them (--snapshot fixtures/organization), not where it is checked
		// out.
		out := bytes.ReplaceAll(b.Bytes(), []byte(fixtures.Dir()+string(filepath.Separator)), []byte("fixtures/"))
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./diagnose/render -update to create it)", err)
	}
	var r diagnose.ScanReport
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("%s is not a scan report: %v", path, err)
	}
	return &r, raw
}

// TestScanGolden renders the organization's scan report as JSON (which must
// give the golden back byte for byte: dashboards parse these names), as
// text off and on a terminal, with and without --verbose, and as Markdown.
func TestScanGolden(t *testing.T) {
	r, raw := orgGolden(t)
	var js bytes.Buffer
	if err := render.ScanJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(js.Bytes(), raw) {
		t.Errorf("render.ScanJSON does not give testdata/scan/organization.json back (a field renamed, dropped or reordered?)")
	}
	for name, opts := range map[string]render.TextOptions{
		"scan/organization.txt":          {},
		"scan/organization-verbose.txt":  {Verbose: true},
		"scan/organization-terminal.txt": {Terminal: true, Width: 120},
	} {
		var b bytes.Buffer
		if err := render.ScanText(&b, r, opts); err != nil {
			t.Fatal(err)
		}
		golden(t, name, b.Bytes())
	}
	var md bytes.Buffer
	if err := render.ScanMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "scan/organization.md", md.Bytes())
}

// matrixLines returns the matrix section of a text scan report.
func matrixLines(out string) []string {
	_, rest, _ := strings.Cut(out, "\nMatrix\n")
	rest, _, _ = strings.Cut(rest, "\n\n")
	return strings.Split(rest, "\n")
}

// TestScanTextMatrix: one row per repository under its source, one mark
// per cell, the same number of cells in every row; words off a terminal,
// one symbol on it; a repository's cells match its pairs.
func TestScanTextMatrix(t *testing.T) {
	r := scanDir(t, filepath.Join(fixtures.Dir(), "organization"))
	want := map[string][]string{} // repository -> marks, by column
	col := map[diagnose.Location]int{}
	for i, d := range r.Destinations {
		col[d.Location] = i
	}
	for _, p := range r.Pairs {
		marks := want[p.Repository]
		if marks == nil {
			marks = make([]string, len(r.Destinations))
			for i := range marks {
				marks[i] = "-"
			}
		}
		marks[col[p.Destination]] = map[diagnose.Verdict]string{diagnose.Healthy: "ok", diagnose.Failing: "FAIL", diagnose.Unknown: "?"}[p.Verdict]
		want[p.Repository] = marks
	}
	for _, term := range []bool{false, true} {
		var b bytes.Buffer
		if err := render.ScanText(&b, r, render.TextOptions{Terminal: term, Width: 120}); err != nil {
			t.Fatal(err)
		}
		rows := 0
		for _, l := range matrixLines(stripANSI(b.String()))[1:] {
			f := strings.Fields(l)
			if len(f) == 0 || !strings.HasPrefix(l, "    ") || f[0] == "repository" {
				continue // a source's header, the columns' numbers
			}
			rows++
			marks, ok := want[f[0]]
			if !ok {
				t.Errorf("terminal %v: row %q is no repository of the scan", term, l)
				continue
			}
			if len(f)-1 != len(marks) {
				t.Errorf("terminal %v: row %q has %d cells, want %d", term, l, len(f)-1, len(marks))
				continue
			}
			for i, m := range marks {
				if term {
					m = map[string]string{"ok": "✓", "FAIL": "✗", "?": "?", "-": "·"}[m]
				}
				if f[i+1] != m {
					t.Errorf("terminal %v: %s at column %d is %q, want %q", term, f[0], i+1, f[i+1], m)
				}
			}
		}
		if rows != len(want) {
			t.Errorf("terminal %v: %d rows, want one for each of the %d repositories", term, rows, len(want))
		}
		if !term && strings.ContainsAny(b.String(), "\x1b✗✓•·") {
			t.Errorf("plain output contains escape codes or symbols")
		}
	}
}

// TestScanTextFitsTheScreen: at 60 to 120 columns no line runs past the
// screen, whatever the number of destinations (the matrix is split into
// blocks of columns when it does not fit); with --verbose only what cannot
// be broken stays whole.
func TestScanTextFitsTheScreen(t *testing.T) {
	reports := map[string]*diagnose.ScanReport{"organization": scanDir(t, filepath.Join(fixtures.Dir(), "organization")), "generated": generated(t, 12)}
	for name, r := range reports {
		for _, width := range []int{40, 60, 80, 100, 120} {
			for _, verbose := range []bool{false, true} {
				for _, term := range []bool{false, true} {
					var b bytes.Buffer
					if err := render.ScanText(&b, r, render.TextOptions{Width: width, Verbose: verbose, Terminal: term}); err != nil {
						t.Fatal(err)
					}
					out := stripANSI(b.String())
					if width < 80 {
						// A policy's JSON lines are not broken below 80
						// columns (as in why): the matrix must still fit.
						out = strings.Join(matrixLines(out), "\n")
					}
					if over := overWidth(out, width, verbose); len(over) > 0 {
						t.Errorf("%s at %d columns (verbose %v, terminal %v): %d line(s) run past the screen, the first:\n%s", name, width, verbose, term, len(over), over[0])
					}
				}
			}
		}
	}
	// 60 columns do not hold the organization's ten destinations: the
	// matrix comes in blocks, each naming its columns.
	var b bytes.Buffer
	if err := render.ScanText(&b, reports["organization"], render.TextOptions{Width: 60}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Destinations 1 to ") || !strings.Contains(b.String(), " of 10:") {
		t.Errorf("the matrix at 60 columns is not split into blocks of destinations:\n%s", b.String())
	}
}

// generated is a scan of one generated registry of n repositories and five
// destinations, two of them failing for every repository.
func generated(t testing.TB, n int) *diagnose.ScanReport {
	t.Helper()
	dir := t.TempDir()
	sp := scangen.Spec{
		Sources: []diagnose.Location{{Account: "111111111111", Region: "ap-northeast-1"}},
		Repos:   n,
		Dests: []diagnose.Location{
			{Account: "222222222222", Region: "ap-northeast-1"}, {Account: "222222222222", Region: "eu-west-1"}, {Account: "444444444444", Region: "us-east-1"},
			{Account: "555555555555", Region: "us-east-1"}, {Account: "111111111111", Region: "us-west-2"},
		},
	}
	if err := scangen.Write(dir, sp); err != nil {
		t.Fatal(err)
	}
	return scanDir(t, dir)
}

// TestScanTextLargeRegistry: with 150 repositories the text stays readable:
// the lists of repositories per root cause are cut ("and N more") and the
// rows healthy at every destination are counted, not listed, unless
// --verbose, which names every repository.
func TestScanTextLargeRegistry(t *testing.T) {
	const n = 150
	r := generated(t, n)
	text := func(verbose bool) string {
		var b bytes.Buffer
		if err := render.ScanText(&b, r, render.TextOptions{Verbose: verbose}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	short, long := text(false), text(true)
	if !strings.Contains(short, " more") || !strings.Contains(short, "--verbose lists") {
		t.Errorf("the default text of %d repositories does not say what it cut", n)
	}
	if got, all := strings.Count(short, "team-0"), strings.Count(long, "team-0"); got >= all {
		t.Errorf("the default text names repositories %d times, --verbose %d", got, all)
	}
	for i := range n {
		name := scangen.RepoName(i)
		if !strings.Contains(long, "    "+name+" ") {
			t.Errorf("--verbose has no matrix row for %s", name)
			break
		}
	}
	// The repository-policy steps of 75 repositories: 8 by default.
	if got := strings.Count(short, "aws ecr delete-repository-policy"); got != 8 {
		t.Errorf("the default text gives %d repository-policy commands, want 8 and a count of the others", got)
	}
	if got := strings.Count(long, "aws ecr delete-repository-policy"); got != n/2 {
		t.Errorf("--verbose gives %d repository-policy commands, want %d", got, n/2)
	}
	failingRows := 0
	for _, l := range matrixLines(short) {
		if strings.HasPrefix(l, "    ") && strings.Contains(l, "FAIL") {
			failingRows++
		}
	}
	if failingRows != n {
		t.Errorf("%d failing rows in the default matrix, want every one of the %d failing repositories", failingRows, n)
	}
}

// TestScanMarkdownSurvivesARenderer renders the scan's Markdown through
// goldmark (as GitHub renders a ticket) and checks that a reader sees the
// headline, every repository, every root cause's summary, every fix step
// and every warning, markup characters included.
func TestScanMarkdownSurvivesARenderer(t *testing.T) {
	r := scanDir(t, filepath.Join(fixtures.Dir(), "organization"))
	crafted := *r
	crafted.Warnings = []string{"reading <dir>/x_y_z.json: 1 < 2 & *so* | [a](http://x) ~~b~~ # c"}
	crafted.Sources = append([]diagnose.ScanSource(nil), r.Sources...)
	crafted.Sources[0].Note = "a <note> with *stars* | and a pipe"
	for name, rep := range map[string]*diagnose.ScanReport{"organization": r, "crafted": &crafted} {
		var md bytes.Buffer
		if err := render.ScanMarkdown(&md, rep); err != nil {
			t.Fatal(err)
		}
		var html bytes.Buffer
		if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(md.Bytes(), &html); err != nil {
			t.Fatal(err)
		}
		seen := visibleText(html.String())
		want := []string{render.ScanHeadline(rep)}
		want = append(want, rep.Warnings...)
		for _, s := range rep.Sources {
			want = append(want, s.Note)
			want = append(want, s.NotCovered...)
		}
		for _, p := range rep.Pairs {
			want = append(want, p.Repository)
		}
		for _, g := range rep.RootCauses {
			want = append(want, g.Summary)
			if !g.FixedBy {
				want = append(want, ownSteps(rep, g)...)
			}
		}
		for _, f := range rep.Fixes {
			want = append(want, f.Fix.Steps...)
			for _, rs := range f.RepositorySteps {
				want = append(want, rs.Steps...)
			}
		}
		for _, w := range want {
			w = squash(strings.ReplaceAll(w, "`", ""))
			if w != "" && !strings.Contains(seen, w) {
				t.Errorf("%s: a reader of the rendered Markdown does not see\n  %s", name, w)
			}
		}
		// The matrix is one table per source, a cell per destination.
		if n := strings.Count(html.String(), "<table>"); n != 1+1+len(rep.Sources) {
			t.Errorf("%s: %d tables, want sources, destinations and one matrix per source", name, n)
		}
	}
}

// TestScanFixListsRepositorySteps: where grants were misplaced in
// repository policies, the destination's one fix names each repository
// with the command that removes its grant.
func TestScanFixListsRepositorySteps(t *testing.T) {
	r := scanDir(t, filepath.Join(fixtures.Dir(), "organization"))
	var b bytes.Buffer
	if err := render.ScanText(&b, r, render.TextOptions{Width: 200}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, g := range r.RootCauses {
		if g.Code != diagnose.CodeGrantInRepositoryPolicy {
			continue
		}
		for _, p := range g.Pairs {
			cmd := "aws ecr delete-repository-policy --region " + g.Destination.Region + " --repository-name " + p.Repository
			if strings.Count(out, cmd) != 1 {
				t.Errorf("the fix for %s does not say once how to remove the grant of %s (%q)", g.Destination, p.Repository, cmd)
			}
		}
	}
	// The policy is printed once per fix; the command reads it from a file.
	for _, f := range r.Fixes {
		if f.Fix.RegistryPolicy == nil {
			continue
		}
		file := "registry-policy-" + f.Destination.Account + "-" + f.Destination.Region + ".json"
		if !strings.Contains(out, "--policy-text file://"+file) {
			t.Errorf("the fix for %s does not read its policy from %s", f.Destination, file)
		}
	}
}

// BenchmarkScanRender measures the renderers on a scan of 1,000
// repositories × 5 destinations.
func BenchmarkScanRender(b *testing.B) {
	r := generated(b, 1000)
	for name, fn := range map[string]func(*bytes.Buffer) error{
		"text":         func(w *bytes.Buffer) error { return render.ScanText(w, r, render.TextOptions{}) },
		"text-verbose": func(w *bytes.Buffer) error { return render.ScanText(w, r, render.TextOptions{Verbose: true}) },
		"markdown":     func(w *bytes.Buffer) error { return render.ScanMarkdown(w, r) },
		"json":         func(w *bytes.Buffer) error { return render.ScanJSON(w, r) },
		"html":         func(w *bytes.Buffer) error { return render.ScanHTML(w, r) },
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				var w bytes.Buffer
				if err := fn(&w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// ownSteps are the fix steps of a root cause's first pair (what to do where
// no destination fix heals it).
func ownSteps(r *diagnose.ScanReport, g diagnose.ScanRootCause) []string {
	for _, p := range r.Pairs {
		if p.Source == g.Pairs[0].Source && p.Repository == g.Pairs[0].Repository && p.Destination == g.Destination {
			for _, f := range p.Findings {
				if f.Code == g.Code && f.Fix != nil {
					return f.Fix.Steps
				}
			}
		}
	}
	return nil
}

// TestScanTextSaysWhatToDo: a root cause no destination fix heals (an
// explicit Deny, a KMS template, a partition) gives the steps of its own
// fix under it; one the destination's fix heals points at that fix.
func TestScanTextSaysWhatToDo(t *testing.T) {
	r := scanDir(t, filepath.Join(fixtures.Dir(), "organization"))
	var b bytes.Buffer
	if err := render.ScanText(&b, r, render.TextOptions{Width: 1000}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checked := 0
	for _, g := range r.RootCauses {
		_, section, _ := strings.Cut(out, "\n"+strings.ToUpper(string(g.Severity))+" "+g.Code+":")
		section, _, _ = strings.Cut(section, "\n\n")
		if g.FixedBy {
			// A fix the evaluator could not verify (the destination's
			// registry policy unread) is not promised as a heal.
			want := "Healed by the fix for " + g.Destination.String() + " below."
			for _, f := range r.Fixes {
				if f.Destination == g.Destination && !f.Fix.Verified {
					want = "The fix for " + g.Destination.String() + " below grants what is missing, but is not verified: follow its steps."
				}
			}
			if !strings.Contains(section, want) {
				t.Errorf("%s at %s does not point at its destination's fix (%q):\n%s", g.Code, g.Destination, want, section)
			}
			continue
		}
		steps := ownSteps(r, g)
		if len(steps) == 0 {
			continue
		}
		checked++
		if !strings.Contains(section, steps[0]) {
			t.Errorf("%s at %s does not say what to do (%q):\n%s", g.Code, g.Destination, steps[0], section)
		}
	}
	if checked < 4 {
		t.Errorf("%d root causes with their own fix checked, want the explicit Deny, KMS, partition, opt-in region and more", checked)
	}
}

// TestScanJSONHasNoNullLists scans every fixture (a why snapshot scans its
// one repository) and walks the JSON: a dashboard must never meet null
// where a list is expected.
func TestScanJSONHasNoNullLists(t *testing.T) {
	whys, err := fixtures.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	scans, err := fixtures.Scans()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range append(whys, scans...) {
		t.Run(x.Name, func(t *testing.T) {
			var b bytes.Buffer
			if err := render.ScanJSON(&b, scanDir(t, x.Dir)); err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(b.Bytes(), &v); err != nil {
				t.Fatal(err)
			}
			walk(t, "", v)
		})
	}
}
