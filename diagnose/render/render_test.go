package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	stdhtml "html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

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
	// Wrapped to the screen: the words are compared, not the line breaks.
	if !strings.Contains(squash(b.String()), "CloudTrail: not read (see the warnings), so failed replication calls could not be checked (add --events PATH to read trail files instead); 12 AWS API call(s).") {
		t.Errorf("footer:\n%s", b.String())
	}
}

// overWidth returns the lines of out longer than width. Lines that cannot
// be broken without changing what they say are let through when
// allowWhole: one word alone (a JSON string holding an ARN) or the one-line
// AWS CLI command that carries the policy inline, which --verbose shows.
func overWidth(out string, width int, allowWhole bool) []string {
	var over []string
	for _, l := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(l) <= width {
			continue
		}
		t := strings.TrimSpace(l)
		if allowWhole && (len(strings.Fields(t)) == 1 || strings.HasPrefix(t, "--policy-text '")) {
			continue
		}
		over = append(over, l)
	}
	return over
}

// TestTextFitsTheScreen: at 80, 100 and 120 columns no line of any
// fixture's report runs past the screen (file paths, CloudTrail messages
// and compact JSON in the evidence included); with --verbose only what
// cannot be broken stays whole.
func TestTextFitsTheScreen(t *testing.T) {
	list, err := fixtures.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		r := report(t, x.Name)
		for _, width := range []int{80, 100, 120} {
			for _, verbose := range []bool{false, true} {
				for _, term := range []bool{false, true} {
					var b bytes.Buffer
					if err := render.Text(&b, r, render.TextOptions{Width: width, Verbose: verbose, Terminal: term}); err != nil {
						t.Fatal(err)
					}
					out := b.String()
					if term {
						out = stripANSI(out)
					}
					if over := overWidth(out, width, verbose); len(over) > 0 {
						t.Errorf("%s at %d columns (verbose %v, terminal %v): %d line(s) run past the screen, the first:\n%s", x.Name, width, verbose, term, len(over), over[0])
					}
				}
			}
		}
	}
}

// TestTextFitsAScreenByDefault: with three destinations, two of them
// failing, the default report gives each failing destination its root
// cause (its first error) with the fix, at most three items of evidence,
// and each policy once; --verbose gives everything.
func TestTextFitsAScreenByDefault(t *testing.T) {
	r := report(t, "multiple-faults")
	text := func(verbose bool) string {
		var b bytes.Buffer
		if err := render.Text(&b, r, render.TextOptions{Width: 100, Verbose: verbose}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	short, long := text(false), text(true)
	if n := strings.Count(short, "\nRoot cause: "); n != 2 {
		t.Errorf("%d root causes, want one for each of the 2 failing destinations:\n%s", n, short)
	}
	for _, f := range r.Findings {
		if f.Destination == nil || f.Severity != diagnose.SeverityError {
			continue
		}
		where := f.Destination.Account + "/" + f.Destination.Region
		first := ""
		for _, g := range r.Findings {
			if g.Destination != nil && g.Destination.Account+"/"+g.Destination.Region == where && g.Severity == diagnose.SeverityError {
				first = g.Code
				break
			}
		}
		if !strings.Contains(short, "Root cause: "+first+" (error, "+where+")") {
			t.Errorf("the root cause of %s is not its first error %s:\n%s", where, first, short)
		}
	}
	if !strings.Contains(short, "and 2 more") {
		t.Errorf("5 items of evidence are not cut to 3 with \"and 2 more\":\n%s", short)
	}
	if strings.Contains(long, "more\n") && strings.Contains(long, " and 2 more") {
		t.Errorf("--verbose cuts the evidence")
	}
	// The merged policy of 222222222222 keeps statement PullThroughCacheForBuilders.
	const sid = `"Sid": "PullThroughCacheForBuilders"`
	if n := strings.Count(short, sid); n != 1 {
		t.Errorf("the policy is printed %d times by default, want once", n)
	}
	if !strings.Contains(short, "--policy-text file://registry-policy-222222222222-ap-northeast-1.json") ||
		!strings.Contains(short, `policy = file("registry-policy-222222222222-ap-northeast-1.json")`) {
		t.Errorf("the AWS CLI command and the Terraform resource do not read the policy printed once:\n%s", short)
	}
	if strings.Count(long, sid) < 2 || !strings.Contains(long, `--policy-text '{`) {
		t.Errorf("--verbose does not show the policy in each form")
	}
	for _, f := range r.Findings {
		if !strings.Contains(long, f.Code) {
			t.Errorf("--verbose lacks finding %s", f.Code)
		}
		for _, e := range f.Evidence {
			// Wrapping adds only line breaks and indents.
			if !strings.Contains(noSpace(long), noSpace(e.Source.String()+e.Text)) && !strings.Contains(noSpace(long), noSpace(e.Text)) {
				t.Errorf("--verbose lacks the evidence of %s from %s", f.Code, e.Source)
			}
		}
	}
	if n, m := strings.Count(short, "\n"), strings.Count(long, "\n"); n >= m {
		t.Errorf("the default report has %d lines, --verbose %d", n, m)
	}
}

func noSpace(s string) string { return strings.Join(strings.Fields(s), "") }

// TestTextTerminalHeadlineSaysTheVerdict: on a terminal the first line has
// the verdict word too, not only a mark.
func TestTextTerminalHeadlineSaysTheVerdict(t *testing.T) {
	r := report(t, "seed-grant-in-repository-policy")
	var b bytes.Buffer
	if err := render.Text(&b, r, render.TextOptions{Terminal: true}); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(stripANSI(b.String()), "\n")
	if !strings.HasPrefix(first, "✗ FAILING: ") {
		t.Errorf("first line on a terminal = %q", first)
	}
}

// TestMarkdownSurvivesARenderer renders the Markdown through a CommonMark
// renderer (goldmark, as GitHub and GitLab render tickets) and compares the
// text a reader sees with the report's words: nothing may be taken for an
// HTML tag (<destination profile>), emphasis, a link or an entity.
func TestMarkdownSurvivesARenderer(t *testing.T) {
	list, err := fixtures.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	reports := map[string]*diagnose.Report{}
	for _, x := range list {
		reports[x.Name] = report(t, x.Name)
	}
	crafted := *reports["multiple-faults"]
	crafted.Findings = append([]diagnose.Finding(nil), crafted.Findings...)
	crafted.Findings[0].Detail = "Run it as <destination profile> with *all* of a_b_c and _this_, [this](http://x) &amp; ~~that~~ # not a title | no cell \\ kept, then `aws ecr get-registry-policy --profile <p>`."
	crafted.Warnings = []string{"reading <dir>/x_y_z.json: 1 < 2 & *so*"}
	reports["crafted"] = &crafted
	for name, r := range reports {
		var md bytes.Buffer
		if err := render.Markdown(&md, r); err != nil {
			t.Fatal(err)
		}
		var html bytes.Buffer
		if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(md.Bytes(), &html); err != nil {
			t.Fatal(err)
		}
		seen := visibleText(html.String())
		want := []string{render.Headline(r)}
		want = append(want, r.Warnings...)
		for _, f := range r.Findings {
			want = append(want, f.Summary, f.Detail)
			if f.Fix != nil {
				want = append(want, f.Fix.Steps...)
			}
		}
		for _, w := range want {
			w = squash(strings.ReplaceAll(w, "`", ""))
			if w != "" && !strings.Contains(seen, w) {
				t.Errorf("%s: a reader of the rendered Markdown does not see\n  %s\nin\n  %s", name, w, seen)
			}
		}
	}
}

var tag = regexp.MustCompile(`<[^>]*>`)

// visibleText is what a browser shows of html, spaces squashed.
func visibleText(h string) string {
	h = strings.NewReplacer("<code>", "", "</code>", "").Replace(h)
	return squash(stdhtml.UnescapeString(tag.ReplaceAllString(h, " ")))
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

var escape = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripANSI(s string) string { return escape.ReplaceAllString(s, "") }
